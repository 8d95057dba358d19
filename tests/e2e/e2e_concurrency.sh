#!/usr/bin/env bash
# e2e_concurrency.sh -- searchers keep working while an indexer rewrites
# files and commits: single queries and a two-thread batch, run in a loop,
# never fail (exit 0 or 1), see stable answers for queries the changes do
# not touch, and see every changed file as one whole version; a second
# indexer is refused with "locked"; the index ends as a clean build would.
. "$(dirname "$0")/lib.sh" "$@"
# python3 itself, not a version manager's shim (saves ~0.5 s a call)
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PYTHON" ] || PYTHON=python3
C=$TMP/corpus
IDX=$TMP/idx
NCHURN=${DP_CONC_FILES:-500}   # files rewritten by every indexer round
ROUNDS=${DP_CONC_ROUNDS:-3}
mkdir -p "$C/churn" "$TMP/res"
cp "$SRC"/corpus/*.txt "$SRC"/corpus/CATALOG.tsv "$C/"

# churn/fNNNN.txt, version V: n(i, V) = 1 + (3i + 2V) % 5 paragraphs (two
# consecutive versions always differ), each naming the file's marker
# qzNNNNN and its version vzNNNNNxV.
cat >"$TMP/churn.py" <<'PY'
import json, os, random, re, sys

def npara(i, v):
    return 1 + (3 * i + 2 * v) % 5

def sentences(src):
    out = []
    for name in sorted(os.listdir(src)):
        if name.endswith('.txt'):
            for s in re.split(r'(?<=[.!?])\s+', open(os.path.join(src, name), encoding='utf-8').read()):
                s = ' '.join(s.split())
                if 40 < len(s) < 400 and s[-1] in '.!?':
                    out.append(s)
    return out

mode = sys.argv[1]
if mode == 'write':          # write SRC ROOT N VERSION [FRACTION]: (re)write files
    src, root, n, v = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    frac = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
    rng, sents = random.Random(v), sentences(src)
    for i in range(n):
        if v and rng.random() > frac:
            continue
        paras = []
        for _ in range(npara(i, v)):
            ss = rng.sample(sents, rng.randint(2, 6))
            ss.insert(rng.randint(0, len(ss)), 'Repère qz%05d version vz%05dx%d.' % (i, i, v))
            paras.append(' '.join(ss))
        with open(os.path.join(root, 'f%04d.txt' % i), 'w', encoding='utf-8') as f:
            f.write('\n\n'.join(paras) + '\n')
elif mode == 'batch':        # batch N SEED STABLE: the batch file
    n, rng = int(sys.argv[2]), random.Random(int(sys.argv[3]))
    stable = [l.rstrip('\n') for l in open(sys.argv[4], encoding='utf-8') if l.strip()]
    for k in range(300):
        if k % 10 == 0:
            print('s%d_%d\t%s' % (k // 10 % len(stable), k, stable[k // 10 % len(stable)]))
        else:
            i = rng.randrange(n)
            print('c%d_%d\tqz%05d' % (i, k, i))
elif mode == 'check':        # check REF_DIR BATCH FILE...: validate jsonl results
    ref = {}
    bqids = set(l.split('\t')[0] for l in open(sys.argv[3], encoding='utf-8'))
    for name in os.listdir(sys.argv[2]):
        ref[name] = sorted(json.loads(l)['id'] for l in open(os.path.join(sys.argv[2], name)))
    bad, nq = [], 0
    for path in sys.argv[4:]:
        by = {}
        for l in open(path, encoding='utf-8'):
            h = json.loads(l)
            by.setdefault(h.get('qid', os.path.basename(path).split('.')[0]), []).append(h)
        if os.path.basename(path)[0] == 'b' and set(by) != bqids:
            bad.append('%s: %d of %d queries answered' % (path, len(set(by) & bqids), len(bqids)))
        for qid, hits in by.items():
            nq += 1
            if qid[0] == 's':
                ids = sorted(h['id'] for h in hits)
                if ids != ref[qid.split('_')[0]]:
                    bad.append('%s %s: %d ids, want %d' % (path, qid, len(ids), len(ref[qid.split('_')[0]])))
            else:
                i = int(qid[1:].split('_')[0])
                vs = set()
                for h in hits:
                    m = re.findall(r'vz%05dx(\d+)' % i, h['text'])
                    vs.update(m or ['?'])
                ok = len(vs) == 1 and '?' not in vs and len(hits) == npara(i, int(next(iter(vs))))
                if not ok:
                    bad.append('%s %s: %d hits of versions %s' % (path, qid, len(hits), sorted(vs)))
    for b in bad[:10]:
        print('#   ' + b)
    print(nq)
    sys.exit(1 if bad else 0)
PY
churn() { "$PYTHON" "$TMP/churn.py" "$@"; }
churn write "$SRC/corpus" "$C/churn" "$NCHURN" 0
echo "# churn/: $NCHURN files, $(cat "$C"/churn/* | wc -c) bytes; 85% rewritten in each round"

expect_status 0 "initial index" "$INDEXER" -q --commit-mb 1 -d "$IDX" "$C"

# Queries whose answers do not depend on churn/: their ids (as sets: BM25
# statistics move with the other files) are recorded now.
cat >"$TMP/stable" <<'EOF'
Pakistan file:000_*
coopération file:0*
"Heydar Aliyev" file:0*
(Chine AND Azerbaïdjan) file:00*
(énergie OR pétrole) file:0*
title:Pakistan
EOF
i=0
while IFS= read -r q; do
    "$SEARCHER" -d "$IDX" --format jsonl --full -k 1000 "$q" >"$TMP/res/ref.s$i" 2>"$TMP/err"
    st=$?
    [ $st -eq 0 ] && ok "stable query s$i ($q): $(wc -l <"$TMP/res/ref.s$i") hits" || fail "stable query s$i ($q)" "exit $st: $(cat "$TMP/err")"
    i=$((i + 1))
done <"$TMP/stable"
mkdir -p "$TMP/ref"
for f in "$TMP"/res/ref.s*; do
    "$PYTHON" -c 'import json,sys; [print(json.dumps({"id": json.loads(l)["id"]})) for l in open(sys.argv[1])]' "$f" >"$TMP/ref/${f##*/ref.}"
    rm "$f"
done
churn batch "$NCHURN" 99 "$TMP/stable" >"$TMP/batch"

# ---- the writer: ROUNDS rounds of rewriting churn/ and re-indexing (the
# last one a two-thread rebuild, which swaps a merged index in by renames);
# in each round, once it holds the lock, a second indexer must be refused.
ino=$(stat -c %i "$IDX/flintlock")
writer() {
    local r pid st2 t how
    for r in $(seq 1 "$ROUNDS"); do
        churn write "$SRC/corpus" "$C/churn" "$NCHURN" "$r" 0.85
        touch "$C"/churn/f000[0-9].txt           # touched, maybe unchanged
        how="--commit-mb 1"
        [ "$r" = "$ROUNDS" ] && how="--rebuild -j 2"
        "$INDEXER" -q $how -d "$IDX" "$C" 2>"$TMP/w.err.$r" &
        pid=$!
        for t in $(seq 400); do
            grep -q ":$ino " /proc/locks && break
            kill -0 $pid 2>/dev/null || break
            sleep 0.01
        done
        if kill -0 $pid 2>/dev/null; then
            "$INDEXER" -q -d "$IDX" "$C" >/dev/null 2>"$TMP/w2.err.$r"; st2=$?
        else
            st2=skip
        fi
        wait $pid
        echo "$r $? $st2" >>"$TMP/writer.log"
    done
}
writer &
wpid=$!

# ---- the readers, until the writer is done
iter=0
rcs=$TMP/rcs
: >"$rcs"
RANDOM=31
while kill -0 $wpid 2>/dev/null; do
    iter=$((iter + 1))
    "$SEARCHER" -d "$IDX" --batch "$TMP/batch" -j 2 --format jsonl --full -k 1000 \
        >"$TMP/res/b$iter.jsonl" 2>"$TMP/res/b$iter.err"
    echo "batch $? $iter" >>"$rcs"
    i=$((RANDOM % NCHURN))
    "$SEARCHER" -d "$IDX" --format jsonl --full -k 100 "qz$(printf %05d $i)" \
        >"$TMP/res/c${i}_$iter.jsonl" 2>"$TMP/res/q$iter.err"
    echo "marker $? $iter" >>"$rcs"
    s=$((iter % 6))
    "$SEARCHER" -d "$IDX" --format jsonl --full -k 1000 "$(sed -n "$((s + 1))p" "$TMP/stable")" \
        >"$TMP/res/s$s.$iter.jsonl" 2>"$TMP/res/s$iter.err"
    echo "stable $? $iter" >>"$rcs"
    "$SEARCHER" -d "$IDX" --cite "churn/f$(printf %04d $i).txt#1" >/dev/null 2>"$TMP/res/cite$iter.err"
    echo "cite $? $iter" >>"$rcs"
    "$SEARCHER" -d "$IDX" --stats >/dev/null 2>"$TMP/res/stats$iter.err"
    echo "stats $? $iter" >>"$rcs"
    "$SEARCHER" -d "$IDX" --count "coopération" >/dev/null 2>"$TMP/res/count$iter.err"
    echo "count $? $iter" >>"$rcs"
done
wait $wpid

echo "# writer: $(cat "$TMP/writer.log" | tr '\n' ';')"
expect_eq "$(wc -l <"$TMP/writer.log")" "$ROUNDS" "the writer ran $ROUNDS rounds"
expect_eq "$(awk '$2 != 0' "$TMP/writer.log" | wc -l)" 0 "every indexer round exited 0"
refused=$(awk '$3 == 2' "$TMP/writer.log" | wc -l)
expect_eq "$(awk '$3 != 2 && $3 != "skip"' "$TMP/writer.log" | wc -l)" 0 "a second indexer started while one runs always exits 2"
[ "$refused" -ge 1 ] && ok "a second indexer was refused in $refused rounds" || fail "a second indexer was refused at least once"
if [ "$refused" -ge 1 ] && [ -z "$(for r in $(awk '$3 == 2 {print $1}' "$TMP/writer.log"); do
        grep -Eq '^depeche-index: error: .*locked' "$TMP/w2.err.$r" || echo bad; done)" ]; then
    ok "... each time with a 'locked' error"
else fail "... each time with a 'locked' error" "$(cat "$TMP"/w2.err.* 2>/dev/null | head -3)"; fi

total=$(wc -l <"$rcs")
echo "# readers: $iter iterations, $total searcher runs, $((iter * 300)) batch queries; ${SECONDS}s so far"
[ "$iter" -ge 3 ] && ok "readers ran $iter iterations during $ROUNDS writer rounds" || fail "readers ran at least 3 iterations" "$iter"
expect_eq "$(awk '$2 != 0 && $2 != 1' "$rcs" | wc -l)" 0 "every searcher run exited 0 or 1 ($total runs)"
awk '$2 != 0 && $2 != 1' "$rcs" | head -5 | while read -r kind st it; do
    case $kind in batch) e=b;; marker) e=q;; stable) e=s;; *) e=$kind;; esac
    echo "#   $kind exit $st: $(head -c 300 "$TMP/res/$e$it.err")"
done
expect_eq "$(awk '$1 != "count" && $1 != "batch" && $2 != 0' "$rcs" | wc -l)" 0 "queries, citations and --stats always find what is there (exit 0)"
if churn check "$TMP/ref" "$TMP/batch" "$TMP"/res/*.jsonl >"$TMP/check"; then
    ok "$(tail -1 "$TMP/check") query results consistent: stable ids unchanged, each changed file one whole version"
else fail "query results consistent" "$(grep '^#' "$TMP/check" | head -5 | tr '\n' ' ')"; fi

# ---- not corrupted: the final index matches a clean build
"$SEARCHER" -d "$IDX" --stats >"$TMP/stats" 2>"$TMP/err"
expect_eq "$?" 0 "final --stats"
expect_status 0 "a clean build of the final corpus" "$INDEXER" -q --commit-mb 1 -d "$TMP/clean" "$C"
"$SEARCHER" -d "$TMP/clean" --stats >"$TMP/cstats"
want=$(( $(awk '/^passages:/ {print $2}' "$TMP/cstats") ))
expect_eq "$(awk '/^passages:/ {print $2}' "$TMP/stats")" "$want" "same passage count as the clean build ($want)"
expect_eq "$(awk '/^files:/ {print $2}' "$TMP/stats")" "$((NCHURN + 3))" "every file indexed once"
expect_status 0 "a --rebuild of the index" "$INDEXER" -q --rebuild --commit-mb 1 -d "$IDX" "$C"
"$SEARCHER" -d "$IDX" --stats >"$TMP/stats"
expect_eq "$(awk '/^passages:/ {print $2}' "$TMP/stats")" "$want" "... gives the same passage count"
# ---- nothing of an index is touched before its lock is held: not the
# leftovers of a -j build (INDEX.parts, .new, .old), which may be those of
# the build holding it (a second --rebuild -j 2 used to delete INDEX.parts
# on its way out, killing the first), nor, when INDEX is missing, the
# INDEX.old and INDEX.new of a build between the two renames of its swap.
if [ -n "$HOLD_LOCK" ]; then
    L=$TMP/lk
    mkdir -p "$L/c"
    cp "$SRC"/corpus/*.txt "$L/c/"
    hold() { # hold the lock of $1 until release
        rm -f "$L/fifo" "$L/holder"
        mkfifo "$L/fifo"
        "$HOLD_LOCK" "$1" <"$L/fifo" >"$L/holder" 2>&1 &
        holder=$!
        exec 4>"$L/fifo"
        for _ in $(seq 100); do grep -q locked "$L/holder" 2>/dev/null && break; sleep 0.05; done
    }
    release() { exec 4>&-; wait $holder; }
    expect_status 0 "lock: an index" "$INDEXER" -q -d "$L/idx" "$L/c"
    mkdir -p "$L/idx.parts/part0" "$L/idx.new" "$L/idx.old"
    echo part >"$L/idx.parts/part0/mark"
    hold "$L/idx"
    expect_status 2 "lock: a --rebuild -j 2 of a locked index fails" "$INDEXER" -q --rebuild -j 2 -d "$L/idx" "$L/c"
    expect_grep '^depeche-index: error: .*idx: index locked' "$TMP/err" "lock: ... with a 'locked' error"
    expect_status 2 "lock: an incremental run of it fails" "$INDEXER" -q -d "$L/idx" "$L/c"
    release
    if [ -f "$L/idx.parts/part0/mark" ] && [ -d "$L/idx.new" ] && [ -d "$L/idx.old" ]; then
        ok "lock: ... and INDEX.parts, .new, .old are left to the build holding the lock"
    else fail "lock: ... and INDEX.parts, .new, .old are left to the build holding the lock" "$(ls "$L")"; fi
    # A build between its two renames: INDEX is missing, INDEX.old (the
    # index it replaces, whose lock it holds) and INDEX.new (the merge)
    # are there.
    rm -rf "$L/idx.parts" "$L/idx.new" "$L/idx.old"
    cp -a "$L/idx" "$L/idx.new"
    mv "$L/idx" "$L/idx.old"
    hold "$L/idx.old"
    expect_status 2 "lock: a run during the swap of a -j build fails" "$INDEXER" -q --rebuild -j 2 -d "$L/idx" "$L/c"
    expect_grep '^depeche-index: error: .*idx: index locked' "$TMP/err" "lock: ... with a 'locked' error"
    release
    if [ ! -e "$L/idx" ] && [ -d "$L/idx.new" ] && [ -d "$L/idx.old" ]; then
        ok "lock: ... and leaves the swap to that build"
    else fail "lock: ... and leaves the swap to that build" "$(ls "$L")"; fi
    expect_status 0 "lock: the next run, the build gone, finishes the swap" "$INDEXER" -q -d "$L/idx" "$L/c"
    expect_grep 'finished the swap' "$TMP/err" "lock: ... and says so"
    if [ -d "$L/idx" ] && [ ! -e "$L/idx.new" ] && [ ! -e "$L/idx.old" ]; then
        ok "lock: ... leaving INDEX only"
    else fail "lock: ... leaving INDEX only" "$(ls "$L")"; fi
    # A lock file that cannot be made (here a folder in its place; a folder
    # without write permission does the same for a user) is no other
    # indexer: it used to be reported as 'index locked: another
    # depeche-index is writing it'.
    cp -r "$L/idx" "$L/nolock"
    rm -f "$L/nolock/flintlock"
    mkdir "$L/nolock/flintlock"
    expect_status 2 "lock: a lock file that cannot be made fails" "$INDEXER" -q -d "$L/nolock" "$L/c"
    expect_grep "^depeche-index: error: .*nolock: cannot take the index's write lock \\(xapian: DatabaseLockError: .*Is a directory\\)\$" "$TMP/err" "lock: ... saying why, not 'another depeche-index'"
    # --rebuild --shards N into another layout deletes the old index: not
    # while an indexer writes it (it used to, the other run going on into
    # deleted files and both exiting 0).
    n_before=$("$SEARCHER" -d "$L/idx" --stats | awk '/^passages:/ {print $2}')
    hold "$L/idx"
    expect_status 2 "lock: a --rebuild --shards 2 of a locked plain index fails" "$INDEXER" -q --rebuild --shards 2 -d "$L/idx" "$L/c"
    expect_grep '^depeche-index: error: .*idx: index locked' "$TMP/err" "lock: ... with a 'locked' error"
    release
    expect_status 0 "lock: ... the index is whole" "$SEARCHER" -d "$L/idx" --stats
    expect_grep "^passages: +$n_before\$" "$TMP/out" "lock: ... with its $n_before passages"
    expect_status 0 "lock: a sharded index" "$INDEXER" -q --rebuild --shards 2 -d "$L/idx" "$L/c"
    hold "$L/idx/shard1"
    expect_status 2 "lock: a --rebuild --shards 3 of it, shard 1 locked, fails" "$INDEXER" -q --rebuild --shards 3 -d "$L/idx" "$L/c"
    expect_grep '^depeche-index: error: .*idx: index locked' "$TMP/err" "lock: ... with a 'locked' error"
    release
    if [ -f "$L/idx/shard1/iamglass" ] && [ ! -e "$L/idx/shard2" ]; then
        ok "lock: ... and leaves its shards as they were"
    else fail "lock: ... and leaves its shards as they were" "$(ls "$L/idx")"; fi
fi
finish
