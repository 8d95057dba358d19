#!/usr/bin/env bash
# e2e_abuse.sh -- query abuse: ~500 generated hostile queries (random
# operators, quotes, parentheses, Unicode, ill-formed UTF-8, NUL, long
# words, deep nesting, huge queries, wild expansions) through --batch in
# strict and --lenient mode and one by one: exit 0, 1 or 2 only, never a
# crash, one-line errors naming the query and column, bounded memory; and
# 80 mangled quotations through --quote.
. "$(dirname "$0")/lib.sh" "$@"
# python3 itself, not a version manager's shim (saves ~0.5 s a call)
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PYTHON" ] || PYTHON=python3
IDX=$TMP/idx
"$INDEXER" -q -d "$IDX" "$SRC/corpus" || { fail "index"; finish; exit 1; }

cat >"$TMP/gen.py" <<'PY'
import random, sys
rng = random.Random(int(sys.argv[1]))
n = int(sys.argv[2])
WORDS = ['Pakistan', 'Azerbaïdjan', 'coopération', 'militaire', 'Chine', 'de', 'la', 'le',
         "l'État", 'aujourd’hui', 'œuvre', 'ﬁn', '13ᵉ', 'COP29', 'O.N.U.', 'libre-échange',
         'Musharraf', '7,3', 'e\u0301conomie', 'économiques', 'x', 'a', 'ÀÉÎÕÜ', 'Ω', '北京',
         'مرحبا', 'שלום', '😀', '👩‍👩‍👧', '\u202e', '\u200b', '\ufeff', '\ufffd', 'ǅ', 'ß',
         '\u0301\u0301\u0301', 'İstanbul', 'ﬀ', 'Ⅻ', '①', '𝔄𝔅', '\t', 'NEAR', 'AND', 'OR', 'NOT']
OPS = [' AND ', ' OR ', ' NOT ', ' ', ' NEAR ', ' NEAR/%d ', ' NEAR/', ' AND AND ', ' OR NOT ']
PRE = ['', '', '', '+', '-', '=', '+-', '--', '=+', 'file:', 'section:', 'title:', 'file:*',
       'title:"', 'section:(', 'nope:', ':', '"', '(', ')', '*']
POST = ['', '', '', '*', '~', '~1', '~2', '~3', '~99', '**', '*~', '~*', '"~3', '"~', '"~999999',
        ')', '(', '"', ':', '\\', '/']

def word():
    r = rng.random()
    if r < 0.05:
        return rng.choice('abcdefghijklmnop') * rng.randint(100, 3000)          # long word
    if r < 0.08:
        return ''.join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 40)))
    if r < 0.10:
        return rng.choice(['a', 'b', 'co', 'p', 'é']) + '*'                       # wide prefix
    if r < 0.12:
        return 'x' * rng.randint(20, 60) + '~2'                                   # costly fuzzy
    return rng.choice(PRE) + rng.choice(WORDS) + rng.choice(POST)

def expr(depth):
    if depth <= 0 or rng.random() < 0.35:
        w = word()
        if rng.random() < 0.15:
            w = '"' + ' '.join(word() for _ in range(rng.randint(1, 6))) + rng.choice(['"', '"', '"~4', ''])
        return w
    k = rng.randint(1, 4)
    parts = [expr(depth - 1) for _ in range(k)]
    s = ''
    for i, p in enumerate(parts):
        if i:
            op = rng.choice(OPS)
            s += op % rng.randint(0, 2000) if '%d' in op else op
        s += p
    if rng.random() < 0.4:
        s = rng.choice(['(', '+(', '-(', '((', '']) + s + rng.choice([')', ')', '))', ''])
    return s

def query(i):
    r = rng.random()
    if r < 0.03:
        d = rng.choice([10, 63, 64, 65, 200, 5000])
        return '(' * d + 'Pakistan' + ')' * d                     # deep nesting
    if r < 0.04:
        # more than 4096 nodes (strict: an error; lenient: ~4,500 plain words)
        return ' OR '.join(rng.choice(WORDS[:20]) for _ in range(rng.randint(4100, 4300)))
    if r < 0.06:
        return 'Pakistan ' * rng.randint(7000, 9000)              # longer than 64 KiB
    if r < 0.08:
        return ''.join(rng.choice('()"*~+-:=/\\ ANDORNEAR') for _ in range(rng.randint(1, 300)))
    if r < 0.10:
        return rng.choice(['', ' ', '"', '()', 'AND', 'OR', 'NOT', 'NEAR', '-', '+', '*', '~',
                           '=', 'file:', '"" ""', '( )', '-Pakistan', 'NOT Pakistan', 'de la le'])
    return expr(rng.randint(1, 6))

with open(sys.argv[3], 'wb') as f:
    for i in range(n):
        q = query(i).replace('\n', ' ').replace('\r', ' ')
        b = q.encode('utf-8', 'surrogatepass')
        r = rng.random()
        if r < 0.04:                                    # ill-formed UTF-8
            pos = rng.randint(0, len(b))
            b = b[:pos] + rng.choice([b'\xff', b'\xc3', b'\xe2\x82', b'\xed\xa0\x80', b'\xc0\xaf', b'\xf4\x90\x80\x80']) + b[pos:]
        elif r < 0.06:                                  # NUL
            pos = rng.randint(0, len(b))
            b = b[:pos] + b'\x00' + b[pos:]
        if b.startswith(b'#') or not b.strip():
            b = b'x ' + b
        f.write(b'q%d\t' % (i + 1) + b + b'\n')
PY
"$PYTHON" "$TMP/gen.py" 20240611 500 "$TMP/queries" || { fail "generate queries"; finish; exit 1; }
nq=$(wc -l <"$TMP/queries")
ok "$nq queries generated ($(wc -c <"$TMP/queries") bytes, the longest $(awk '{ if (length($0) > m) m = length($0) } END {print m}' "$TMP/queries") bytes)"
overlong=$(LC_ALL=C awk -F'\t' 'length($0) - length($1) - 1 > 65536 {print $1}' "$TMP/queries" | tr '\n' ' ')

TIME=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true 2>/dev/null; then TIME="/usr/bin/time -o $TMP/rss -f %M"; fi
# 512 MB; four times that under AddressSanitizer (shadow memory, quarantine)
RSS_MAX_KB=524288
if ldd "$SEARCHER" 2>/dev/null | grep -q 'libasan'; then RSS_MAX_KB=$((RSS_MAX_KB * 4)); fi
RSS_MAX_KB=${DP_ABUSE_RSS_KB:-$RSS_MAX_KB}
rss_check() { # DESC
    [ -n "$TIME" ] || return 0
    local kb; kb=$(tail -1 "$TMP/rss")
    if [ "$kb" -le "$RSS_MAX_KB" ] 2>/dev/null; then ok "$1: peak RSS $((kb / 1024)) MB"
    else fail "$1: peak RSS bounded" "$kb kB > $RSS_MAX_KB kB"; fi
}

# run_batch DESC ARGS...: the batch in one process
run_batch() {
    local desc=$1 st t0; shift
    t0=$SECONDS
    $TIME "$SEARCHER" -d "$IDX" --batch "$TMP/queries" "$@" >"$TMP/out" 2>"$TMP/err"; st=$?
    BATCH_ST=$st
    if [ $st -le 2 ]; then ok "$desc: exit $st ($((SECONDS - t0)) s)"
    else fail "$desc: exit 0, 1 or 2" "exit $st: $(grep -v '^depeche-search: error: line [0-9]*: query' "$TMP/err" | head -c 600)"; fi
    rss_check "$desc"
}

run_batch "strict batch, -j 2, jsonl" -j 2 --format jsonl -k 5
cp "$TMP/err" "$TMP/strict.err"
expect_eq "$BATCH_ST" 2 "strict batch: bad queries make it exit 2"
# a line with a NUL is refused as a whole (named by its QID)
ERR_RE='^depeche-search: error: line [0-9]+: query q[0-9]+: (column [0-9]+: [^ ]|NUL byte in the line$)'
nerr=$(grep -c '^depeche-search: error: line [0-9]*: query ' "$TMP/strict.err")
expect_eq "$(grep -Ev "$ERR_RE" "$TMP/strict.err" | grep -Evc '^depeche-search: note: line [0-9]+: query q[0-9]+: column [0-9]+: [^ ]')" 0 \
    "strict batch: each error is one line 'error: line L: query QID: column N: what' ($nerr errors), besides notes"
expect_eq "$(grep -o '^depeche-search: error: line [0-9]*: query q[0-9]*:' "$TMP/strict.err" | sort | uniq -d | wc -l)" 0 "strict batch: one error per bad query"
if "$PYTHON" - "$TMP/out" "$TMP/queries" "$TMP/strict.err" <<'PY'
import json, re, sys
qids = [l.split(b'\t')[0].decode() for l in open(sys.argv[2], 'rb')]
bad = set(re.findall(r'error: line \d+: query (q\d+):', open(sys.argv[3], encoding='utf-8', errors='replace').read()))
seen = []
for l in open(sys.argv[1], encoding='utf-8'):
    h = json.loads(l)
    if not seen or seen[-1] != h['qid']: seen.append(h['qid'])
assert not (set(seen) & bad), 'hits for a failed query'
assert seen == [q for q in qids if q in set(seen)], 'order'
print('# %d queries answered' % len(seen))
PY
then ok "strict batch: valid jsonl, input order, no hits for failed queries"; else fail "strict batch: valid jsonl, input order, no hits for failed queries"; fi

run_batch "lenient batch, -j 2, jsonl" -j 2 --lenient --format jsonl -k 5
# lenient: malformed queries are plain words; what is left is a query with
# no searchable word at all, a line with a NUL, and the queries over 64 KiB
# (cut to their first 64 KiB with a note, or refused)
expect_eq "$(grep -E "$ERR_RE" "$TMP/err" | grep -Ev 'column 65537: |empty query \(no searchable word\)|NUL byte in the line' | head -3)" "" \
    "lenient batch: no syntax error left"
long_ok=0
for q in $overlong; do
    # (a line with a NUL byte is refused as a whole, before its length)
    grep -Eq "^depeche-search: (error|note): line [0-9]+: query $q: (column 65537: |NUL byte in the line$)" "$TMP/err" && long_ok=$((long_ok + 1))
done
expect_eq "$long_ok" "$(echo $overlong | wc -w)" "lenient batch: each query over 64 KiB is named (${overlong:-none})"
expect_eq "$(grep -Ev "$ERR_RE" "$TMP/err" | grep -Evc '^depeche-search: note: line [0-9]+: query q[0-9]+: column [0-9]+: [^ ]')" 0 \
    "lenient batch: nothing else on stderr ($(grep -c '^depeche-search: note: ' "$TMP/err") notes)"

# the other modes without the queries over 10 kB (each of those takes a
# second or more in lenient mode)
cp "$TMP/queries" "$TMP/all"
awk 'length($0) <= 10000' "$TMP/all" >"$TMP/queries"
run_batch "lenient batch, -j 1, text, --explain ($(wc -l <"$TMP/queries") queries)" --lenient --explain -k 3
run_batch "strict batch, --count" --count -j 2
run_batch "lenient batch, trec -k 1000" --lenient --format trec -k 1000 -j 2
cp "$TMP/all" "$TMP/queries"

# one by one, on the command line (a sample: one process each)
crashes=0; codes=""
i=0
while IFS= read -r -d '' q; do
    i=$((i + 1))
    for mode in "" --lenient; do
        "$SEARCHER" -d "$IDX" $mode --format grep -k 3 -- "$q" </dev/null >/dev/null 2>"$TMP/err1"; st=$?
        codes="$codes $st"
        if [ $st -gt 2 ]; then
            crashes=$((crashes + 1))
            echo "#   exit $st for $(printf '%s' "$q" | head -c 120 | od -An -c | head -2 | tr -s ' ')"
        elif [ $st -eq 2 ] && [ "$(wc -l <"$TMP/err1")" -ne 1 ]; then
            crashes=$((crashes + 1)); echo "#   a $(wc -l <"$TMP/err1")-line error: $(head -c 200 "$TMP/err1")"
        fi
    done
done < <(awk -F'\t' 'NR % 10 == 0 { sub(/^[^\t]*\t/, ""); printf "%s%c", $0, 0 }' "$TMP/queries" | head -c 400000)
expect_eq "$crashes" 0 "$i queries one by one, strict and lenient: exit 0, 1 or 2, one-line errors"
# for the record: a lenient query escapes the 4,096-node limit (its words
# are one node); how long does a 25 kB one of 6,000 words take?
"$PYTHON" -c "print(' '.join(['Chine OR Pakistan OR la de OR'] * 850))" >"$TMP/big"
t0=$(date +%s%N)
$TIME "$SEARCHER" -d "$IDX" --lenient --count -- "$(cat "$TMP/big")" >/dev/null 2>"$TMP/err"; st=$?
echo "# a $(wc -c <"$TMP/big")-byte lenient query of $(wc -w <"$TMP/big") words: exit $st, $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ $st -le 2 ] && ok "a 25 kB lenient query: exit $st" || fail "a 25 kB lenient query: exit 0, 1 or 2" "exit $st"
rss_check "a 25 kB lenient query"
echo "# exit codes:$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf " %s x%s", $2, $1}')"

# --quote: quotations cut from the corpus and mangled (words dropped,
# swapped, changed or put in, runs of filler between them, ellipses,
# Unicode, up to past the 2,000-word limit), one process each: exit 0, 1
# or 2, one-line errors, a label on stderr for each found passage
cat >"$TMP/genq.py" <<'PY'
import glob, os, random, sys
rng = random.Random(int(sys.argv[2]))
words = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], 'corpus', '*.txt'))):
    words += open(f, encoding='utf-8').read().split()
EXTRA = ['mot', 'de', 'la', 'Ω', '\u202e', 'é\u0301', '…', '[…]', '...', '(...)', '[6]', '1.',
         'aujourd’hui', "l'", '«', '»', '13ᵉ', 'XXIXe', '\ufeff', 'x' * 300]
out = []
for i in range(int(sys.argv[3])):
    n = rng.choice([1, 2, 3, 5, 8, 12, 20, 40, 80, 300])
    at = rng.randrange(len(words) - n)
    q = words[at:at + n]
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        k = rng.randrange(len(q) + 1)
        if r < 0.25 and q:
            del q[min(k, len(q) - 1)]
        elif r < 0.5:
            q.insert(k, rng.choice(EXTRA))
        elif r < 0.7:
            q[k:k] = ['mot%d' % j for j in range(rng.randint(5, 120))]
        elif q:
            j = rng.randrange(len(q))
            q[min(k, len(q) - 1)], q[j] = q[j], q[min(k, len(q) - 1)]
    if rng.random() < 0.03:
        q = words[:2100]                                   # over the limit
    out.append(' '.join(q) or 'de')
sys.stdout.write(''.join(q + '\0' for q in out))
PY
qcrash=0; qfound=0; qlabels=0; qn=0
while IFS= read -r -d '' q; do
    qn=$((qn + 1))
    fmt=text; [ $((qn % 2)) -eq 0 ] && fmt=jsonl
    "$SEARCHER" -d "$IDX" --format $fmt --quote "$q" </dev/null >"$TMP/qout" 2>"$TMP/qerr"; st=$?
    if [ $st -gt 2 ] || { [ $st -eq 2 ] && [ "$(wc -l <"$TMP/qerr")" -ne 1 ]; }; then
        qcrash=$((qcrash + 1))
        echo "#   --quote exit $st: $(head -c 200 "$TMP/qerr")"
    fi
    if [ $st -eq 0 ]; then
        qfound=$((qfound + 1))
        if { [ $fmt = text ] && head -1 "$TMP/qout" | grep -Eq '^(exact|approximate): '; } ||
           { [ $fmt = jsonl ] && grep -Eq '^depeche-search: quote: (exact|approximate): ' "$TMP/qerr"; }; then
            qlabels=$((qlabels + 1))
        fi
    fi
done < <("$PYTHON" "$TMP/genq.py" "$SRC" 20261124 80)
expect_eq "$qcrash" 0 "$qn mangled quotations: exit 0, 1 or 2, one-line errors"
expect_eq "$qlabels" "$qfound" "... each one found ($qfound) labelled"
finish
