#!/usr/bin/env bash
# e2e_terminal.sh -- terminal safety: a hostile corpus whose passages,
# catalogue titles, dates, sources, section headings and file names carry
# ESC sequences (OSC title, clear screen, colours), BEL, C1 controls and
# bidi overrides.  Every output format escapes them (jsonl per RFC 8259, so
# that they decode back), a colour run on a pseudo-terminal carries no ESC
# but our own SGR sequences, nothing reaches stderr raw, and --cite and
# --quote never read files.
. "$(dirname "$0")/lib.sh" "$@"
# python3 itself, not a version manager's shim (saves ~0.5 s a call)
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PYTHON" ] || PYTHON=python3
C=$TMP/corpus
IDX=$TMP/idx
mkdir -p "$C"
# absolute: the --cite checks below run from another directory
SEARCHER=$(cd "$(dirname "$SEARCHER")" && pwd)/$(basename "$SEARCHER")

cat >"$TMP/tt.py" <<'PY'
import json, os, re, sys

E = '\x1b'
# an OSC window title, clear screen, red, BEL, C1 CSI (U+009B) + "31m",
# right-to-left override
EVIL = E + ']0;pwned\x07' + E + '[2J' + E + '[31m' + '\x07' + '\u009b' + '31m' + '\u202e'
FILL = ("La coopération entre les deux pays s'est développée dans les domaines de "
        "l'énergie, du commerce et de la défense au cours des dernières années. ")
NAMES = ['evil' + E + '[31m' + '\u202e' + 'txt.exe' + '\x07' + '.txt',
         'evil' + E + ']0;pwned\x07' + '\u009b' + '2.md']
HEADING = 'Titre ' + EVIL + ' section'
TITLE = 'Titre ' + EVIL + ' hostile'
DATE = '2024-01-01' + E + '[2J'
SOURCE = 'source ' + EVIL
RAW = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]')

def gen(root):
    # the controls stay under 1 % of each file: a text with a few escape
    # sequences is text, not binary
    for name in NAMES:
        body = (HEADING + '\n'
                'Le Pakistan ' + EVIL + ' coopère avec la Turquie dans le domaine militaire. ' + FILL * 4 + '\n\n'
                + FILL * 6 + '\n\n'
                'La coopération ' + E + '[2J' + 'nucléaire ' + '\u202e' + 'enihcam entre la Chine et le '
                + E + ']0;pwned\x07' + ' Pakistan est ancienne. ' + FILL * 4 + '\n\n'
                'Un mot piégé : pay\u202esanerie et tur\x1bquoise, zorglub\u202ex. ' + FILL * 6 + '\n')
        open(os.path.join(root, name), 'w', encoding='utf-8').write(body)
    open(os.path.join(root, 'plain.txt'), 'w', encoding='utf-8').write(
        'Un texte ordinaire sur le Pakistan et la coopération.\n')
    with open(os.path.join(root, 'CATALOG.tsv'), 'w', encoding='utf-8') as f:
        f.write('file\ttitle\tdate\tsource\n')
        for name in NAMES:
            f.write('\t'.join([name, TITLE, DATE, SOURCE]) + '\n')

def escaped(path, need):
    """No raw control, C1 or bidi character (tabs and newlines aside);
    the escapes NEED (comma-separated) appear."""
    data = open(path, 'rb').read()
    text = data.decode('utf-8', 'replace')
    bad = sorted(set('U+%04X' % ord(c) for c in RAW.findall(text)))
    missing = [n for n in need.split(',') if n and n not in text]
    if bad or missing or not data:
        print('raw %s; missing escapes %s; %d bytes' % (bad, missing, len(data)))
        return 1
    return 0

def jsonl(path):
    """RFC 8259: no raw control byte; decodes back to the originals."""
    data = open(path, 'rb').read()
    if re.search(rb'[\x00-\x1f]', data.replace(b'\n', b'')):
        print('raw control bytes in jsonl')
        return 1
    hits = [json.loads(l) for l in data.decode('utf-8').splitlines()]
    evil = [h for h in hits if h['file'] in NAMES]
    probs = []
    if len(evil) < 2:
        probs.append('%d hostile hits' % len(evil))
    for h in evil:
        if h['title'] != TITLE: probs.append('title %r' % h['title'])
        if h['id'] != '%s#%d' % (h['file'], h['passage']): probs.append('id %r' % h['id'])
        if h['section'] != HEADING: probs.append('section %r' % h['section'])
        if 'text' in h and h['text'].split('\n')[0] not in open(
                os.path.join(sys.argv[3], h['file']), encoding='utf-8').read():
            probs.append('text differs from the file')
        for a, b in h.get('highlights', []):
            w = h['snippet'].encode('utf-8')[a:b].decode('utf-8', 'replace')
            if not w or RAW.search(w) or '\ufffd' in w:
                probs.append('highlight %d,%d: %r' % (a, b, w))
    if not any(E + ']0;pwned\x07' in h.get('text', h['snippet']) for h in evil):
        probs.append('the OSC sequence does not decode back')
    if probs:
        print('; '.join(sorted(set(probs))[:6]))
    return 1 if probs else 0

def pty(path, colour=True):
    """Output of a colour run on a terminal: every ESC starts one of our
    SGR (or EL) sequences; no OSC, no raw BEL, C1 or bidi character."""
    data = open(path, 'rb').read().decode('utf-8', 'replace')
    probs = []
    # ours: SGR (colours) and EL (the progress line on stderr clears itself)
    ours = r'\x1b\[[0-9;]*[mK]'
    for m in re.finditer('\x1b', data):
        if not re.match(ours, data[m.start():]):
            probs.append('foreign ESC: %r' % data[m.start():m.start() + 12])
    if '\x1b]' in data: probs.append('OSC')
    rest = RAW.findall(re.sub(ours, '', data).replace('\r', ''))
    if rest: probs.append('raw %s' % sorted(set('U+%04X' % ord(c) for c in rest)))
    if colour and '\x1b[' not in data: probs.append('no colour at all')
    if probs:
        print('; '.join(probs[:5]))
    return 1 if probs else 0

cmd = sys.argv[1]
if cmd == 'gen': gen(sys.argv[2]); sys.exit(0)
if cmd == 'escaped': sys.exit(escaped(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ''))
if cmd == 'jsonl': sys.exit(jsonl(sys.argv[2]))
if cmd == 'pty': sys.exit(pty(sys.argv[2], len(sys.argv) < 4))
if cmd == 'name': print(NAMES[int(sys.argv[2])], end=''); sys.exit(0)
PY
tt() { "$PYTHON" "$TMP/tt.py" "$@"; }
tt gen "$C"

expect_status 0 "index the hostile corpus" "$INDEXER" -d "$IDX" "$C"
expect_grep ' 3 files indexed, 0 unchanged, 0 skipped' "$TMP/err" "its files are text, not binary"
# the indexer's own messages name the files: they must not carry the ESC
expect_status 0 "re-index verbosely" "$INDEXER" -v --rebuild -d "$IDX" "$C"
if tt escaped "$TMP/err" '\x1b' >"$TMP/why"; then ok "depeche-index -v: file names escaped"
else fail "depeche-index -v: file names escaped" "$(cat "$TMP/why"): $(head -c 300 "$TMP/err" | cat -v)"; fi

# ... and its warnings: an empty file and a duplicate catalogue entry with
# hostile names
mkdir -p "$TMP/w"
: >"$TMP/w/$(tt name 1)"
cp "$C/$(tt name 0)" "$TMP/w/"
{ printf 'file\ttitle\n'; printf '%s\tA\n%s\tB\n' "$(tt name 0)" "$(tt name 0)"; } >"$TMP/w/CATALOG.tsv"
expect_status 0 "index a folder that causes warnings" "$INDEXER" -d "$TMP/widx" "$TMP/w"
expect_grep 'warning: .*empty file' "$TMP/err" "... an empty file is reported"
if tt escaped "$TMP/err" '\x1b' >"$TMP/why"; then ok "depeche-index warnings: file names escaped"
else fail "depeche-index warnings: file names escaped" "$(cat "$TMP/why"): $(head -c 300 "$TMP/err" | cat -v)"; fi

# every format, every command that prints passages
check_escaped() { # DESC NEED ARGS...: exit 0 or 1, stdout and stderr escaped
    local desc=$1 need=$2 st; shift 2
    "$SEARCHER" -d "$IDX" "$@" >"$TMP/out" 2>"$TMP/err"; st=$?
    if [ $st -gt 1 ]; then fail "$desc" "exit $st: $(head -c 300 "$TMP/err" | cat -v)"; return; fi
    if [ $st -eq 1 ] && [ ! -s "$TMP/out" ]; then  # zero hits: stderr only
        tt escaped "$TMP/err" >"$TMP/why" && ok "$desc" ||
            fail "$desc: stderr escaped" "$(cat "$TMP/why"): $(head -c 300 "$TMP/err" | cat -v)"
        return
    fi
    if ! tt escaped "$TMP/out" "$need" >"$TMP/why"; then fail "$desc: stdout escaped" "$(cat "$TMP/why")"
    elif [ -s "$TMP/err" ] && ! tt escaped "$TMP/err" >"$TMP/why"; then
        fail "$desc: stderr escaped" "$(cat "$TMP/why"): $(head -c 300 "$TMP/err" | cat -v)"
    else ok "$desc"; fi
}
for fmt in text grep tsv trec; do
    check_escaped "--format $fmt escapes controls and bidi" '\x1b' --format $fmt Pakistan
done
check_escaped "text: title, date, section, file, snippet" '\x1b]0;pwned\x07,\x1b[2J,\u009b31m,\u202e,(2024-01-01\x1b[2J)' --format text -k 10 Pakistan
check_escaped "grep: FILE:LINE:COL escaped" 'evil\x1b[31m\u202etxt.exe\x07.txt:' --format grep Pakistan
check_escaped "tsv --full" '\x1b]0;pwned\x07' --format tsv --full Pakistan
check_escaped "--explain" '\x1b' --explain Pakistan
check_escaped "--highlight html" '\x1b' --highlight html Pakistan
check_escaped "a word with a bidi override inside" '\u202e' paysanerie
check_escaped "--cite FILE#N -C 1" '\x1b]0;pwned\x07' --cite "$(tt name 0)#2" -C 1
check_escaped "--cite FILE:LINE" '\x1b' --cite "$(tt name 1):6"
check_escaped "--quote" '\x1b' --quote "coopère avec la Turquie dans le domaine militaire"
check_escaped "--quote, approximate" '\x1b' --quote "nucléaire enihcam entre la Chine"
check_escaped "zero hits: suggestions" '' sorglubxq
expect_grep 'Essayez' "$TMP/err" "... which are made"
printf 'q1\tPakistan\nq2\tcoopération nucléaire\nq3\tsorglubxq\n' >"$TMP/batch"
check_escaped "--batch, text" '\x1b' --batch "$TMP/batch"
# error messages that name indexed files: an ambiguous --cite prefix
"$SEARCHER" -d "$IDX" --cite evil >"$TMP/out" 2>"$TMP/err"; st=$?
expect_eq "$st" 2 "--cite with an ambiguous prefix: exit 2"
if tt escaped "$TMP/err" 'evil\x1b[31m\u202etxt.exe\x07.txt' >"$TMP/why"; then ok "... the error names the files, escaped"
else fail "... the error names the files, escaped" "$(cat "$TMP/why"): $(head -c 300 "$TMP/err" | cat -v)"; fi

# jsonl: RFC 8259 escapes that decode back to the original characters
for extra in "" "--full"; do
    "$SEARCHER" -d "$IDX" --format jsonl $extra -k 20 Pakistan >"$TMP/out" 2>"$TMP/err"
    if "$PYTHON" "$TMP/tt.py" jsonl "$TMP/out" "$C" >"$TMP/why"; then ok "jsonl $extra: escaped, decodes to the original title, section, file and text"
    else fail "jsonl $extra: escaped and decodes back" "$(cat "$TMP/why")"; fi
done
"$SEARCHER" -d "$IDX" --format jsonl --batch "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
"$PYTHON" "$TMP/tt.py" jsonl "$TMP/out" "$C" >"$TMP/why" && ok "jsonl --batch: escaped and decodes back" ||
    fail "jsonl --batch: escaped and decodes back" "$(cat "$TMP/why")"

# a pseudo-terminal with colours: only our SGR sequences
pty_check() { # DESC ARGS...: hits in colour; with zero hits no colour needed
    local desc=$1 st; shift
    env -u NO_COLOR "$PYTHON" "$SRC/tests/e2e/run_pty.py" "$TMP/pty" "$SEARCHER" -d "$IDX" --color=always "$@"; st=$?
    if [ $st -gt 1 ]; then fail "$desc" "exit $st: $(head -c 300 "$TMP/pty" | cat -v)"
    elif tt pty "$TMP/pty" $([ $st -eq 1 ] && echo nocolour) >"$TMP/why"; then ok "$desc"
    else fail "$desc" "$(cat "$TMP/why")"; fi
}
pty_check "terminal, colours: text" -k 10 Pakistan
pty_check "terminal, colours: grep" --format grep -k 10 Pakistan
pty_check "terminal, colours: --explain" --explain -k 3 "Pakistan coopération"
pty_check "terminal, colours: --cite -C 2" --cite "$(tt name 1)#2" -C 2
pty_check "terminal, colours: --quote" --quote "entre la Chine et le Pakistan est ancienne"
pty_check "terminal, colours: --batch" --batch "$TMP/batch"
pty_check "terminal, colours: zero hits and suggestions" sorglubxq
# and without --color: the default on a terminal
env -u NO_COLOR "$PYTHON" "$SRC/tests/e2e/run_pty.py" "$TMP/pty" "$SEARCHER" -d "$IDX" -k 10 Pakistan
if "$PYTHON" - "$TMP/pty" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
bad = [m.start() for m in re.finditer('\x1b', d) if not re.match(r'\x1b\[[0-9;]*m', d[m.start():])]
sys.exit(1 if bad or '\u202e' in d or '\x07' in d or not d else 0)
PY
then ok "terminal, default colours: only SGR sequences"; else fail "terminal, default colours: only SGR sequences"; fi

# ---- --cite and --quote never read files
printf 'root:x:0:0:TOPSECRET:/root:/bin/sh\n' >"$TMP/secret.txt"
cd "$TMP"
for ref in '../../etc/passwd#1' '/etc/passwd:1' '/etc/passwd#1' "$TMP/secret.txt#1" 'secret.txt#1' 'secret.txt:1' \
           "../${TMP##*/}/secret.txt#1" 'file:///etc/passwd#1' '/proc/self/environ#1'; do
    expect_status 1 "--cite '$ref' is just not found" "$SEARCHER" -d "$IDX" --cite "$ref"
    if grep -q 'root:\|TOPSECRET' "$TMP/out" "$TMP/err"; then fail "--cite '$ref' prints nothing of the file"; fi
done
"$SEARCHER" -d "$IDX" --quote "root:x:0:0:TOPSECRET:/root:/bin/sh" >"$TMP/out" 2>"$TMP/err"
st=$?
[ $st -le 1 ] && ! grep -q 'TOPSECRET' "$TMP/out" "$TMP/err" && ok "--quote of a line of a local file does not read it (exit $st)" ||
    fail "--quote of a line of a local file does not read it" "exit $st: $(head -c 200 "$TMP/out")"
"$SEARCHER" -d "$IDX" --quote "/etc/passwd" >"$TMP/out" 2>"$TMP/err"; st=$?
[ $st -le 1 ] && ! grep -q 'root:' "$TMP/out" && ok "--quote /etc/passwd is text, not a file (exit $st)" ||
    fail "--quote /etc/passwd is text, not a file" "exit $st: $(head -c 200 "$TMP/out")"
# the stored text is enough: with the corpus gone, citations still work
mv "$C" "$TMP/gone"
expect_status 0 "--cite with the corpus moved away" "$SEARCHER" -d "$IDX" --cite "$(tt name 0)#3"
expect_grep 'Pakistan est ancienne' "$TMP/out" "... prints the stored passage"
if command -v strace >/dev/null 2>&1 && strace -f -qq -e trace=open,openat -o "$TMP/trace" true 2>/dev/null; then
    strace -f -qq -e trace=open,openat -o "$TMP/trace" "$SEARCHER" -d "$IDX" --cite '../../etc/passwd#1' >/dev/null 2>&1
    strace -f -qq -e trace=open,openat -o "$TMP/trace2" "$SEARCHER" -d "$IDX" --quote "$(tt name 0)" >/dev/null 2>&1
    cat "$TMP/trace2" >>"$TMP/trace"
    expect_no_grep 'passwd|secret|gone|evil' "$TMP/trace" "strace: --cite and --quote open no file outside the index"
else
    echo "# skipped the strace check: strace unavailable or not permitted"
fi
mv "$TMP/gone" "$C"
finish
