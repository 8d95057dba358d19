#!/usr/bin/env bash
# e2e_crash.sh -- crash safety: kill -9 the indexer at random points of
# incremental runs, of runs that replace/remove/add files and of --rebuild
# runs; after each kill the last committed index opens, searches, and shows
# every file either whole or not at all; a re-run completes the work and
# matches a clean build.  Then a kill while the index is being created, and
# a full disk (a tiny tmpfs) if this machine lets us mount one.
. "$(dirname "$0")/lib.sh" "$@"
# python3 itself, not a version manager's shim (saves ~0.5 s a call)
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PYTHON" ] || PYTHON=python3
C=$TMP/corpus          # the corpus being indexed (changes between rounds)
IDX=$TMP/idx           # the index being killed
REF=$TMP/ref           # a clean build
FILES=$TMP/files.tsv   # RELPATH <TAB> MARKER <TAB> allowed passage counts
NFILES=${DP_CRASH_FILES:-3000}
RANDOM=4711            # fixed seed: the same kill delays on every run

# ---- the corpus: sentences of corpus/*.txt recombined, one marker word per
# file (qzNNNNN) in every paragraph, so --count MARKER is the number of that
# file's passages that are visible.
cat >"$TMP/gen.py" <<'PY'
import os, random, re, sys

def sentences(src):
    out = []
    for name in sorted(os.listdir(src)):
        if name.endswith('.txt'):
            text = open(os.path.join(src, name), encoding='utf-8').read()
            for s in re.split(r'(?<=[.!?])\s+', text):
                s = ' '.join(s.split())
                if 40 < len(s) < 400 and s[-1] in '.!?':
                    out.append(s)
    return out

def write(root, rel, marker, npara, rng, sents):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    paras = []
    for _ in range(npara):
        ss = rng.sample(sents, rng.randint(1, 4))
        ss.insert(rng.randint(0, len(ss)), 'Repère %s.' % marker)
        paras.append(' '.join(ss))
    head = 'Partie %s\n' % rng.choice(['un', 'deux', 'trois']) if rng.random() < 0.3 else ''
    with open(path, 'w', encoding='utf-8') as f:
        f.write(head + '\n\n'.join(paras) + '\n')

def load(manifest):
    rows = []
    for line in open(manifest, encoding='utf-8'):
        rel, marker, allowed = line.rstrip('\n').split('\t')
        rows.append([rel, marker, [int(x) for x in allowed.split(',') if x]])
    return rows

def save(manifest, rows):
    with open(manifest, 'w', encoding='utf-8') as f:
        for rel, marker, allowed in rows:
            f.write('%s\t%s\t%s\n' % (rel, marker, ','.join(map(str, allowed))))

mode = sys.argv[1]
if mode == 'gen':            # gen SRC ROOT N SEED MANIFEST
    src, root, n, seed, manifest = sys.argv[2:7]
    rng, sents = random.Random(int(seed)), sentences(src)
    rows = []
    for i in range(int(n)):
        rel, marker, k = 'd%02d/f%05d.txt' % (i % 30, i), 'qz%05d' % i, rng.randint(1, 4)
        write(root, rel, marker, k, rng, sents)
        rows.append([rel, marker, [k]])
    save(manifest, rows)
elif mode == 'modify':       # modify SRC ROOT SEED MANIFEST: rewrite, delete, add
    src, root, seed, manifest = sys.argv[2:6]
    rng, sents = random.Random(int(seed)), sentences(src)
    rows = load(manifest)
    picked = rng.sample(range(len(rows)), len(rows) // 6)
    for j in picked[: len(picked) * 7 // 8]:     # rewritten: another count
        rel, marker, allowed = rows[j]
        k = rng.choice([x for x in range(1, 8) if x != allowed[0]])
        write(root, rel, marker, k, rng, sents)
        allowed.append(k)
    for j in picked[len(picked) * 7 // 8:]:      # deleted
        os.unlink(os.path.join(root, rows[j][0]))
    for i in range(len(rows) // 60):             # new files
        rel, marker, k = 'new/n%05d.txt' % i, 'qz9%04d' % i, rng.randint(1, 5)
        write(root, rel, marker, k, rng, sents)
        rows.append([rel, marker, [k]])
    save(manifest, rows)
elif mode == 'restore':      # restore V1 ROOT: ROOT back to V1, all touched
    v1, root = sys.argv[2], sys.argv[3]
    keep = set()
    for d, _, names in os.walk(v1):
        for name in names:
            rel = os.path.relpath(os.path.join(d, name), v1)
            keep.add(rel)
            data = open(os.path.join(v1, rel), 'rb').read()
            dst = os.path.join(root, rel)
            if not os.path.exists(dst) or open(dst, 'rb').read() != data:
                open(dst, 'wb').write(data)
            os.utime(dst)
    for d, _, names in os.walk(root):
        for name in names:
            if os.path.relpath(os.path.join(d, name), root) not in keep:
                os.unlink(os.path.join(d, name))
elif mode == 'check':        # check MANIFEST COUNTS STATS [CORPUS: all indexed]
    rows = {m: (rel, a) for rel, m, a in load(sys.argv[2])}
    counts = dict(l.split() for l in open(sys.argv[3]) if l.strip())
    stats = dict(l.split(':', 1) for l in open(sys.argv[4]) if ':' in l)
    stats = {k.strip(): v.strip() for k, v in stats.items()}
    bad, visible, total, want = [], 0, 0, 0
    for marker, (rel, allowed) in rows.items():
        c = int(counts.get(marker, -1))
        if c < 0:
            bad.append('%s: no count' % rel)
        elif c and c not in allowed:
            bad.append('%s: %d passages visible, the file has %s' % (rel, c, allowed))
        visible += c > 0
        total += max(c, 0)
    if str(total) != stats.get('passages'):
        bad.append('sum of per-file counts %d != --stats passages %s' % (total, stats.get('passages')))
    if str(visible) != stats.get('files'):
        bad.append('%d files visible != --stats files %s' % (visible, stats.get('files')))
    if len(sys.argv) > 5:
        for marker, (rel, allowed) in rows.items():
            if os.path.exists(os.path.join(sys.argv[5], rel)) \
               and int(counts.get(marker, 0)) != allowed[-1]:
                bad.append('%s: %s passages, want %d' % (rel, counts.get(marker), allowed[-1]))
    for b in bad[:10]:
        print('#   ' + b)
    print('%d %d' % (visible, total))
    sys.exit(1 if bad else 0)
PY
gen() { "$PYTHON" "$TMP/gen.py" "$@"; }

mkdir -p "$C"
gen gen "$SRC/corpus" "$C" "$NFILES" 20240611 "$FILES" || { fail "generate the corpus"; finish; exit 1; }
ok "generated $(wc -l <"$FILES") files, $(du -sk "$C" | cut -f1) kB"
cp -a "$C" "$TMP/corpus.v1"
cp "$FILES" "$TMP/files.v1"

# check_index WHAT [CORPUS]: the index at $IDX opens, searches, and every
# file is either whole or absent; sets VISIBLE and PASSAGES.
check_index() {
    local what=$1 corpus=${2:-}
    VISIBLE=?; PASSAGES=?
    if ! "$SEARCHER" -d "$IDX" --stats >"$TMP/stats" 2>"$TMP/err"; then
        fail "$what: --stats" "$(head -c 300 "$TMP/err")"; return
    fi
    awk -F'\t' '{print $2 "\t" $2}' "$FILES" >"$TMP/cq"
    "$SEARCHER" -d "$IDX" --batch "$TMP/cq" --count -j 2 >"$TMP/counts" 2>"$TMP/err"
    local st=$?
    if [ $st -gt 1 ]; then fail "$what: count every file's passages" "exit $st: $(head -c 300 "$TMP/err")"; return; fi
    if gen check "$FILES" "$TMP/counts" "$TMP/stats" $corpus >"$TMP/check"; then
        read -r VISIBLE PASSAGES <"$TMP/check"
        ok "$what: opens; $VISIBLE files, $PASSAGES passages, each file whole or absent"
    else
        fail "$what: each file whole or absent" "$(grep '^#' "$TMP/check" | head -5 | tr '\n' ' ')"
        read -r VISIBLE PASSAGES < <(tail -1 "$TMP/check")
    fi
    # searching works (exit 1 allowed only if nothing is visible yet)
    "$SEARCHER" -d "$IDX" -k 3 "coopération" >/dev/null 2>"$TMP/err"; st=$?
    if [ $st -eq 0 ] || { [ $st -eq 1 ] && [ "$VISIBLE" = 0 ]; }; then ok "$what: a search works"
    else fail "$what: a search works" "exit $st: $(head -c 300 "$TMP/err")"; fi
    # --cite agrees with the counts for a sample of files: #COUNT exists,
    # #COUNT+1 does not
    local line rel marker n sample_bad=0
    for line in $(awk -F'\t' 'NR % 751 == 1 {print $1 "|" $2}' "$FILES"); do
        rel=${line%|*}; marker=${line#*|}
        n=$(awk -v m="$marker" '$1 == m {print $2}' "$TMP/counts")
        n=${n:-0}
        if [ "$n" -gt 0 ]; then
            "$SEARCHER" -d "$IDX" --cite "$rel#$n" >/dev/null 2>&1 || { sample_bad=1; echo "#   --cite $rel#$n failed"; }
        fi
        "$SEARCHER" -d "$IDX" --cite "$rel#$((n + 1))" >/dev/null 2>&1
        [ $? -eq 1 ] || { sample_bad=1; echo "#   --cite $rel#$((n + 1)) is not 'not found'"; }
    done
    [ $sample_bad -eq 0 ] && ok "$what: --cite agrees for a sample of files" || fail "$what: --cite agrees for a sample of files"
}

# ---- the reference: a clean build
t0=$(date +%s%N)
expect_status 0 "clean build of the corpus" "$INDEXER" -q --commit-mb 1 -d "$REF" "$C"
T_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
REF_PASSAGES=$("$SEARCHER" -d "$REF" --stats | awk '/^passages:/ {print $2}')
expect_eq "$REF_PASSAGES" "$(awk -F'\t' '{s += $3} END {print s}' "$FILES")" \
    "clean build: one passage per generated paragraph ($REF_PASSAGES, ${T_MS} ms)"

# ---- kill -9 at random points
kills=0; finished=0
run_and_kill() { # DESC LO HI ARGS...: start the indexer (-v: one line per
    # file indexed), kill it once it has indexed a random number of files
    # between LO and HI, plus 0-40 ms: the kill falls at a random point
    # whatever the speed of the machine (sanitizers, load)
    local desc=$1 lo=$2 hi=$3 want jitter n=0 st t0; shift 3
    want=$(( lo + (hi - lo) * (RANDOM % 1001) / 1000 ))
    jitter=$(( RANDOM % 41 ))
    t0=$(date +%s%N)
    "$INDEXER" -v --commit-mb 1 -d "$IDX" "$@" "$C" 2>"$TMP/kerr" &
    local pid=$!
    while kill -0 $pid 2>/dev/null; do
        n=$(grep -c '^depeche-index: \(indexed\|reindexed\|removed\) ' "$TMP/kerr")
        [ "$n" -ge "$want" ] && break
        sleep 0.01
    done
    sleep "0.0$(printf %02d $jitter)"
    kill -9 $pid 2>/dev/null
    wait $pid; st=$?
    n=$(grep -c '^depeche-index: \(indexed\|reindexed\|removed\) ' "$TMP/kerr")
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ $st -eq 137 ]; then kills=$((kills + 1)); ok "$desc: killed after $n files, $ms ms (aimed at $want)"
    elif [ $st -eq 0 ]; then finished=$((finished + 1)); ok "$desc: finished ($n files) before the kill at $want"
    else fail "$desc: killed or finished" "exit $st: $(grep -v '^depeche-index: \(indexed\|reindexed\|removed\) ' "$TMP/kerr" | head -c 300)"; fi
}

for round in 1 2 3; do
    run_and_kill "round $round (incremental)" 300 1000
    check_index "after round $round"
done
# a sixth of the files rewritten (other paragraph counts), some deleted,
# some added: a kill must leave each one old, new or absent, never mixed
sleep 0.02   # a new mtime even on coarse clocks
gen modify "$SRC/corpus" "$C" 7 "$FILES"
ok "corpus changed: $(awk -F'\t' 'index($3, ",")' "$FILES" | wc -l) files rewritten, $(grep -c '^new/' "$FILES") added"
for round in 4 5; do
    run_and_kill "round $round (incremental, changed files)" 20 400
    check_index "after round $round"
done
for round in 6 7; do
    run_and_kill "round $round (--rebuild)" 200 2000 --rebuild
    check_index "after round $round"
done
# back to the first version of every file (new mtimes on all of them)
gen restore "$TMP/corpus.v1" "$C"
awk -F'\t' 'NR == FNR {v1[$1] = $3; next} {a = $3; if ($1 in v1) a = a "," v1[$1]; print $1 "\t" $2 "\t" a}' \
    "$TMP/files.v1" "$FILES" >"$FILES.new" && mv "$FILES.new" "$FILES"
run_and_kill "round 8 (incremental, corpus restored)" 10 300
check_index "after round 8"

expect_status 0 "a re-run completes the work" "$INDEXER" --commit-mb 1 -d "$IDX" "$C"
cp "$TMP/files.v1" "$FILES"
check_index "after the re-run" "$C"
expect_eq "$PASSAGES" "$REF_PASSAGES" "same passage count as the clean build"
expect_eq "$(awk '/^files:/ {print $2}' "$TMP/stats")" "$NFILES" "same file count as the clean build"
expect_status 0 "one more run" "$INDEXER" -d "$IDX" "$C"
expect_grep " 0 files indexed, $NFILES unchanged, 0 skipped, 0 removed" "$TMP/err" "... has nothing left to do"
"$SEARCHER" -d "$IDX" --format trec -k 20 "coopération militaire" >"$TMP/a" 2>/dev/null
"$SEARCHER" -d "$REF" --format trec -k 20 "coopération militaire" >"$TMP/b" 2>/dev/null
if [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b"; then ok "same top 20 as the clean build"
else fail "same top 20 as the clean build" "$(diff "$TMP/a" "$TMP/b" | head -4)"; fi
echo "# $kills kills, $finished runs finished before their kill; ${SECONDS}s so far"
[ $kills -ge 5 ] && ok "at least 5 of 8 runs were killed mid-way ($kills)" || fail "at least 5 of 8 runs were killed mid-way ($kills)"

# ---- kill while the index is being created (before its first revision):
# nothing was committed, so readers may say "not an index", but a plain
# re-run must create it.
for i in 1 2 3; do
    K=$TMP/new$i
    "$INDEXER" -q -d "$K" "$SRC/corpus" 2>/dev/null &
    pid=$!
    while [ ! -e "$K/postlist.glass" ] && kill -0 $pid 2>/dev/null; do :; done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    state=$(ls "$K" 2>/dev/null | tr '\n' ' ')
    "$SEARCHER" -d "$K" --stats >"$TMP/out" 2>"$TMP/err"; st=$?
    if [ $st -eq 0 ] || { [ $st -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'index' "$TMP/err"; }; then
        ok "killed while creating [$state]: --stats works or says clearly there is no index"
    else fail "killed while creating [$state]: --stats" "exit $st: $(head -c 300 "$TMP/err")"; fi
    expect_status 0 "killed while creating [$state]: a plain re-run creates the index" "$INDEXER" -q -d "$K" "$SRC/corpus"
done

# ---- full disk: a 2 MB tmpfs.  The index of the bundled corpus fits; the
# generated corpus does not.  Mount in a private mount namespace when we
# can (nothing leaks if we are killed), else directly, else skip.
fulldisk() { # MOUNTPOINT: run the checks, print TAP-like lines
    local M=$1 D=$1/idx st
    # Xapian 1.4.22 leaks 233 bytes, allocated inside libxapian, when
    # commit_transaction() fails on a write error; under LeakSanitizer, the
    # runs that fill the disk ignore leaks allocated in libxapian.
    printf 'leak:libxapian.so\n' >"$TMP/lsan.supp"
    export LSAN_OPTIONS="suppressions=$TMP/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    fd_ok()   { echo "ok - full disk: $1"; }
    fd_fail() { echo "not ok - full disk: $1"; [ $# -gt 1 ] && echo "#   $2"; }
    mkdir -p "$TMP/fdc" && cp "$SRC"/corpus/* "$TMP/fdc/"
    "$INDEXER" -q -d "$D" "$TMP/fdc" 2>"$TMP/fderr" && fd_ok "the bundled corpus fits" ||
        { fd_fail "the bundled corpus fits" "$(head -c 300 "$TMP/fderr")"; return; }
    cp -r "$C"/d0[0-4] "$TMP/fdc/"
    "$INDEXER" --commit-mb 1 -d "$D" "$TMP/fdc" >/dev/null 2>"$TMP/fderr"; st=$?
    [ $st -eq 2 ] && fd_ok "indexer exits 2 when the disk fills" || fd_fail "indexer exits 2 when the disk fills" "exit $st"
    if [ "$(wc -l <"$TMP/fderr")" -eq 1 ] &&
       grep -Eq '^depeche-index: error: .*(No space left on device|disk full|ENOSPC)' "$TMP/fderr" &&
       grep -Fq "$D" "$TMP/fderr"; then
        fd_ok "one clear error line, naming the index: $(cat "$TMP/fderr")"
    else fd_fail "one clear error line" "$(head -c 500 "$TMP/fderr")"; fi
    "$SEARCHER" -d "$D" --stats >"$TMP/fdstats" 2>"$TMP/fderr" && fd_ok "the last committed index opens" ||
        fd_fail "the last committed index opens" "$(head -c 300 "$TMP/fderr")"
    [ "$(awk '/^passages:/ {print $2}' "$TMP/fdstats")" -ge 81 ] 2>/dev/null &&
        fd_ok "it keeps the bundled corpus ($(awk '/^passages:/ {print $2}' "$TMP/fdstats") passages)" ||
        fd_fail "it keeps the bundled corpus" "$(cat "$TMP/fdstats")"
    "$SEARCHER" -d "$D" --count Pakistan >"$TMP/fdout" 2>"$TMP/fderr"
    # 26 passages of the bundled corpus, and those of the files committed
    # before the disk filled.
    [ "$(cat "$TMP/fdout")" -ge 26 ] 2>/dev/null &&
        fd_ok "and searches it (Pakistan: $(cat "$TMP/fdout") passages, at least the bundled corpus's 26)" ||
        fd_fail "and searches it" "$(cat "$TMP/fdout" "$TMP/fderr")"
    "$INDEXER" -q --commit-mb 1 -d "$D" "$TMP/fdc" 2>"$TMP/fderr"; st=$?
    [ $st -eq 2 ] && fd_ok "a second run on the full disk exits 2 too" || fd_fail "a second run on the full disk exits 2 too" "exit $st"
    if mount -o remount,size=256m "$M" 2>/dev/null; then
        "$INDEXER" -q --commit-mb 1 -d "$D" "$TMP/fdc" 2>"$TMP/fderr" && fd_ok "with room again, a re-run completes" ||
            fd_fail "with room again, a re-run completes" "$(head -c 300 "$TMP/fderr")"
        local want=$(( 81 + $(awk -F'\t' '$1 ~ /^d0[0-4]\// {s += $3} END {print s}' "$TMP/files.v1") ))
        "$SEARCHER" -d "$D" --stats >"$TMP/fdstats" 2>&1
        [ "$(awk '/^passages:/ {print $2}' "$TMP/fdstats")" = "$want" ] && fd_ok "... with every passage ($want)" ||
            fd_fail "... with every passage ($want)" "$(cat "$TMP/fdstats")"
    fi
}
MNT=$TMP/mnt; mkdir -p "$MNT"
export -f fulldisk
how=
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
   unshare -m sh -c "mount -t tmpfs -o size=2m tmpfs '$MNT'" 2>/dev/null; then
    how="unshare -m"
    TMP=$TMP C=$C INDEXER=$INDEXER SEARCHER=$SEARCHER SRC=$SRC \
        unshare -m bash -c "mount -t tmpfs -o size=2m tmpfs '$MNT' && fulldisk '$MNT'" >"$TMP/fd.out" 2>&1
elif [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
    how="mount"
    trap 'umount "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT
    fulldisk "$MNT" >"$TMP/fd.out" 2>&1
    umount "$MNT"
fi
if [ -n "$how" ]; then
    n=0
    while IFS= read -r line; do
        case $line in
            "ok - "*) ok "${line#ok - } [$how]"; n=$((n + 1)) ;;
            "not ok - "*) fail "${line#not ok - } [$how]"; n=$((n + 1)) ;;
            *) printf '%s\n' "$line" ;;
        esac
    done <"$TMP/fd.out"
    [ $n -ge 6 ] || fail "full disk: every check ran" "$(head -c 500 "$TMP/fd.out")"
else
    echo "# skipped full-disk test: cannot mount a tmpfs here (not root, or mounting refused, even under unshare -m)"
fi
finish
