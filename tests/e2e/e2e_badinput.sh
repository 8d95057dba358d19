#!/usr/bin/env bash
# e2e_badinput.sh -- bad corpus files: damaged and legacy encodings, odd line
# ends, binary, empty, unreadable and huge files, links, FIFOs, odd names.
# The fixtures are generated here (no committed binaries).  SPEC §7: every
# problem is one "depeche-index: warning: FILE[:LINE]: what" line, the run
# goes on and exits 0, and every readable text is searchable.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
C=$TMP/corpus          # every bad file but the huge one
H=$TMP/huge            # the huge one, indexed alone so that its peak RSS
mkdir -p "$C" "$H"     # is its own and searches elsewhere stay quick

# The huge single-line file: 50 MB.  It takes ~6 s to index in a normal
# build and 10-25 s under ASan+UBSan (measured on 2 busy cores; the whole
# test then takes under a minute), so it keeps that size there too; but a
# sanitizer's shadow memory and quarantine make its RSS meaningless, so
# the RSS bound is only checked without one.
HUGE_MB=50
sanitized=
if [ -n "${ASAN_OPTIONS:-}" ] || ldd "$INDEXER" 2>/dev/null | grep -q 'lib[a-z]*san\.so'; then
    sanitized=1
fi

python3 - "$C" "$H" "$HUGE_MB" <<'PY' || { fail "generate the fixtures"; finish; exit 1; }
import os, random, sys
C, H, huge_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])

def put(name, data):
    with open(os.path.join(C, name), "wb") as f:
        f.write(data)

# Paragraphs separated by blank lines: the distinctive word of each file
# is on line 5 (paragraph 3), so that line counting is tested.
def paras(word, extra=""):
    return [
        "Les relations économiques entre la France et l’Algérie.",
        "Le ministre a présenté un rapport détaillé à l’Assemblée, où "
        "l’on évoque la coopération régionale et les échanges.",
        "Ce paragraphe parle de " + word + extra + ", un thème précis qui "
        "n’apparaît nulle part ailleurs dans ce corpus de dépêches.",
        "Fin du document : les négociations reprendront à l’été.",
    ]

def text(word, eol="\n", extra=""):
    return (eol + eol).join(paras(word, extra)) + eol

# 1. UTF-8 damaged by a few invalid bytes (a lone continuation byte, a cut
#    sequence, an 0xFF) on line 3 and 5.
t = text("hauturière").encode()
t = t.replace("présenté".encode(), b"pr\xc3sent\xe9", 1)
t = t.replace("précis".encode(), b"pr\xa9cis\xff", 1)
put("invalide.txt", t)

# 2. Windows-1252: é = E9, œ = 9C, ’ = 92, « » = AB BB, … = 85.
put("cp1252.txt", text("l’écœurement", extra=" « réel » …").encode("cp1252"))
assert b"\x9c" in open(os.path.join(C, "cp1252.txt"), "rb").read()

# 3. Latin-1 (no byte in 80..9F: straight apostrophes, no œ).
put("latin1.txt", text("bûcheronnage").replace("’", "'").encode("latin-1"))

# 3b. ISO-8859-15: œ = BD, € = A4 (½ and ¤ in Latin-1), no byte in 80..9F.
put("latin9.txt", text("sœurs", extra=" à 5 €").replace("’", "'").encode("iso-8859-15"))

# 4. UTF-16 with a BOM, both byte orders.
put("utf16le.txt", b"\xff\xfe" + text("anémomètre").encode("utf-16-le"))
put("utf16be.txt", b"\xfe\xff" + text("hygromètre").encode("utf-16-be"))

# 5. UTF-8 with a BOM.
put("bom.txt", b"\xef\xbb\xbf" + text("télégraphiste").encode())

# 6. CRLF and lone-CR line ends.
put("crlf.txt", text("pâtisserie", eol="\r\n").encode())
put("cr.txt", text("boulangère", eol="\r").encode())

# 7. Binary (random bytes with NULs) under a .txt name, and an empty file.
rnd = random.Random(7)
put("x.txt", bytes(rnd.randrange(256) for _ in range(4096)) + b"\0\0\0")
put("vide.txt", b"")

# 8. French text with a few NUL bytes (a damaged file, not a binary one).
t = text("fromagère").encode()
t = t.replace(b"rapport", b"rap\0port", 1).replace(b"ce corpus", b"ce\0\0corpus", 1)
put("nul.txt", t)

# 9. NUL bytes after the first 64 KiB, where no sniffing looks.
filler = "Une phrase ordinaire de remplissage sur la vie des ports.\n\n" * 1200
assert len(filler.encode()) > 65536
put("nul-tardif.txt", (filler + "La charcutière du\0port vend du jambon.\n").encode())

# 10. Odd file names, each with its own word.
put("avec des espaces.txt", text("cordonnier").encode())
put("été.txt", text("moissonneuse").encode())
put("l'île \"mystérieuse\".txt", text("naufragé").encode())
put("nouvelle\nligne.txt", text("lavandière").encode())
# ... and one that is warned about: the warning must stay on one line.
put("mauvais\nnom.txt", text("chaudronnier").encode("cp1252"))

# 11. A directory named like a text file (it is walked, not read).
os.mkdir(os.path.join(C, "dossier.txt"))
put("dossier.txt/dedans.txt", text("rempailleur").encode())

# 12. One 50 MB line: a single paragraph of French words, a marker near
#     the end.
vocab = ("le la les des une un du de et en dans pour sur avec par que qui "
         "gouvernement ministre économie coopération développement accord "
         "région pays relations échanges commerce politique sécurité "
         "frontière président assemblée négociation réforme budget "
         "agriculture pêche énergie marché société culture éducation "
         "santé hôpital université recherche été hiver forêt rivière "
         "montagne village ville campagne château église école théâtre "
         "musée bibliothèque journal dépêche opinion député sénateur "
         "élection référendum citoyen liberté égalité fraternité "
         "déclaration traité conférence délégation ambassadeur").split()
words = []
n = 0
while n < 1 << 20:
    w = rnd.choice(vocab)
    if rnd.random() < 0.08:
        w += ","
    words.append(w)
    n += len(w.encode()) + 1
chunk = (" ".join(words) + " ").encode()
size = huge_mb << 20
reps = size // len(chunk)
with open(os.path.join(H, "enorme.txt"), "wb") as f:
    for i in range(reps):
        if i == reps - 1:
            f.write("le ptérodactyle vole ".encode())
        f.write(chunk)
    f.write("fin.\n".encode())
PY

# 13. Unreadable and non-regular entries, and links.
mkfifo "$C/tube.txt"                       # a FIFO: must not block
[ -e /proc/self/mem ] && ln -s /proc/self/mem "$C/memoire.txt" # read() fails
mkdir -p "$C/sous"
printf 'Un texte dans un sous-dossier sur la tonnellerie.\n' >"$C/sous/texte.txt"
ln -s .. "$C/sous/boucle"                  # a directory loop
ln -s nulle-part.txt "$C/pendant.txt"      # dangling
ln -s lien-b.txt "$C/lien-a.txt"           # a loop of two links
ln -s lien-a.txt "$C/lien-b.txt"

# --- first run ---------------------------------------------------------------
expect_status 0 "index a corpus of bad files (exit 0)" timeout 120 "$INDEXER" -d "$IDX" "$C"
cp "$TMP/err" "$TMP/run1"
sed 's/^/#   /' "$TMP/run1"

W='depeche-index: warning: '
w() { expect_grep "^$W$1\$" "$TMP/run1" "warning: $2"; }
w 'invalide\.txt:3: invalid UTF-8 at byte 77, replaced by U\+FFFD \(4 times\)' "invalid UTF-8 repaired, not read as Windows-1252"
w 'cp1252\.txt:1: not UTF-8: read as windows-1252' "Windows-1252 detected"
w 'latin1\.txt:1: not UTF-8: read as (windows-1252|ISO-8859-15?)' "Latin-1 detected"
w 'latin9\.txt:1: not UTF-8: read as ISO-8859-15' "ISO-8859-15 detected (œ inside words)"
w 'utf16le\.txt: transcoded from UTF-16LE' "UTF-16LE with BOM"
w 'utf16be\.txt: transcoded from UTF-16BE' "UTF-16BE with BOM"
w 'x\.txt: binary file, skipped' "binary file skipped"
w 'vide\.txt: empty file' "empty file"
w 'nul\.txt:3: NUL bytes replaced by U\+FFFD \(3 times\)' "a few NULs in a text: repaired, not 'binary'"
w 'nul-tardif\.txt:2401: NUL byte replaced by U\+FFFD \(1 time\)' "a NUL past 64 KiB: repaired too"
w 'tube\.txt: not a regular file, skipped' "FIFO skipped, without blocking"
[ -L "$C/memoire.txt" ] && w 'memoire\.txt: read error: Input/output error' "unreadable file (read error)"
w 'sous/boucle: directory loop \(symbolic link to an enclosing directory\), not entered' "symlink loop"
w 'pendant\.txt: dangling symbolic link, skipped' "dangling symlink"
w 'lien-a\.txt: symbolic link loop, skipped' "two links pointing at each other (1)"
w 'lien-b\.txt: symbolic link loop, skipped' "two links pointing at each other (2)"
# A newline in a file name must not split its warning line.
w 'mauvais\\nnom\.txt:1: not UTF-8: read as windows-1252' "a newline in a file name is escaped"
nwarn=$(grep -c "^$W" "$TMP/run1")
want=17; [ -L "$C/memoire.txt" ] || want=16
expect_eq "$nwarn" "$want" "one warning per problem, no more"
expect_no_grep "^${W}[^:]*(bom|crlf|cr|espaces|été|île|nouvelle|dedans|texte)" "$TMP/run1" "no warning for good files"
# skipped: the binary, the empty and the unreadable file, and the four the
# walk leaves out (the FIFO, the dangling link, the two links in a loop)
skipped=7; [ -L "$C/memoire.txt" ] || skipped=6
expect_grep "^depeche-index: 18 files indexed, 0 unchanged, $skipped skipped" "$TMP/run1" "summary: 18 files indexed, $skipped skipped"

# --- every readable text is searchable, at the right line --------------------
# find_word FILE LINE TEXT QUERY...: each QUERY finds a passage of FILE at
# LINE whose text contains TEXT, has no NUL and, unless FFFD=ok, no U+FFFD.
# The searches run here; check_words checks them all in one python3 run
# (its start-up is the slow part).
mkdir -p "$TMP/q"
nq=0
find_word() {
    local file=$1 line=$2 want=$3 q d; shift 3
    for q in "$@"; do
        nq=$((nq + 1)); d=$TMP/q/$nq
        mkdir "$d"
        "$SEARCHER" -d "$IDX" --format jsonl --full -k 100 -- "$q" >"$d/out" 2>"$d/err"
        printf '%s' "$file" >"$d/file"; printf '%s' "$want" >"$d/want"
        printf '%s' "$line" >"$d/line"; printf '%s' "${FFFD:-no}" >"$d/fffd"
        printf "'%s' finds %s:%s" "$q" "$(printf %q "$file")" "$line" >"$d/desc"
    done
}
check_words() {
    local verdict desc detail
    python3 - "$TMP/q" "$nq" >"$TMP/verdicts" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
def rd(d, k):
    return open(os.path.join(d, k), encoding="utf-8").read()
for i in range(1, n + 1):
    d = os.path.join(root, str(i))
    file, want, line, fffd = rd(d, "file"), rd(d, "want"), int(rd(d, "line")), rd(d, "fffd")
    try:
        hits = [json.loads(l) for l in open(os.path.join(d, "out"), encoding="utf-8")]
        h = [h for h in hits if h["file"] == file]
        assert h, "no hit in %r: %r %s" % (file, [x["file"] for x in hits], rd(d, "err"))
        t = h[0]["text"]
        assert h[0]["line"] == line, "line %s, wanted %s" % (h[0]["line"], line)
        assert want in t, "%r not in %r" % (want, t[:300])
        assert fffd == "ok" or "\ufffd" not in t, "U+FFFD in %r" % t[:300]
        assert "\0" not in t, "NUL in %r" % t[:300]
        print("ok\t%d\t" % i)
    except Exception as e:
        print("fail\t%d\t%s" % (i, repr(e).replace("\n", " ")))
PY
    while IFS=$'\t' read -r verdict i detail; do
        desc=$(cat "$TMP/q/$i/desc")
        if [ "$verdict" = ok ]; then ok "$desc"; else fail "$desc" "$detail"; fi
    done <"$TMP/verdicts"
    [ "$(wc -l <"$TMP/verdicts")" -eq "$nq" ] || fail "check the searches" "python3 failed"
}
FFFD=ok find_word invalide.txt 5 "hauturière, un thème pr" hauturière hauturiere
FFFD=ok find_word invalide.txt 3 "l’Assemblée, où l’on évoque" "ministre rapport détaillé"
find_word cp1252.txt 5 "l’écœurement « réel » …, un thème précis" écœurement ecoeurement
find_word cp1252.txt 1 "Les relations économiques entre la France et l’Algérie." "relations économiques"
find_word latin1.txt 5 "bûcheronnage, un thème précis qui n'apparaît" bûcheronnage bucheronnage
find_word latin9.txt 5 "sœurs à 5 €, un thème précis" sœurs soeurs
find_word utf16le.txt 5 "anémomètre, un thème précis" anémomètre anemometre
find_word utf16be.txt 5 "hygromètre, un thème précis" hygromètre hygrometre
find_word bom.txt 5 "télégraphiste" télégraphiste telegraphiste
find_word crlf.txt 5 "pâtisserie" pâtisserie patisserie
find_word crlf.txt 7 "négociations" "négociations reprendront"
find_word cr.txt 5 "boulangère" boulangère boulangere
find_word cr.txt 7 "négociations" "négociations reprendront"
FFFD=ok find_word nul.txt 5 "fromagère" fromagère fromagere
FFFD=ok find_word nul.txt 3 "rap�port" "ministre détaillé"
FFFD=ok find_word nul-tardif.txt 2401 "du�port" charcutière charcutiere
find_word "avec des espaces.txt" 5 "cordonnier" cordonnier
find_word "été.txt" 5 "moissonneuse" moissonneuse
find_word "l'île \"mystérieuse\".txt" 5 "naufragé" naufragé naufrage
find_word $'nouvelle\nligne.txt' 5 "lavandière" lavandière lavandiere
find_word $'mauvais\nnom.txt' 5 "chaudronnier" chaudronnier
find_word dossier.txt/dedans.txt 5 "rempailleur" rempailleur
find_word sous/texte.txt 1 "tonnellerie" tonnellerie
check_words

# The BOM belongs to no passage.
expect_status 0 "cite the first passage of bom.txt" "$SEARCHER" -d "$IDX" --format jsonl --cite bom.txt#1
expect_grep '"line":1,' "$TMP/out" "it is on line 1"
expect_no_grep $'\xef\xbb\xbf' "$TMP/out" "without the BOM"
expect_status 0 "the sub-folder is indexed once, not again through the loop" "$SEARCHER" -d "$IDX" --count "tonnellerie"
expect_eq "$(cat "$TMP/out")" 1 "one passage names tonnellerie"

# --- second run: incremental -------------------------------------------------
expect_status 0 "second run" timeout 120 "$INDEXER" -d "$IDX" "$C"
expect_grep "^depeche-index: 0 files indexed, 18 unchanged, $skipped skipped, 0 removed" "$TMP/err" "second run indexes 0 files"
expect_no_grep 'transcoded|read as|invalid UTF-8|NUL' "$TMP/err" "unchanged files are not decoded again (no decoding warnings)"
# A touched file is read again (its ctime changed) but its text is the
# same: nothing is indexed, and its decoding warnings, given when it was
# indexed, are not repeated.
touch "$C/cp1252.txt"
expect_status 0 "run after a touch" timeout 120 "$INDEXER" -v -d "$IDX" "$C"
expect_grep "^depeche-index: 0 files indexed, 18 unchanged, $skipped skipped, 0 removed" "$TMP/err" "a touched file is not indexed again"
expect_grep '^depeche-index: unchanged cp1252\.txt \(read: same text\)$' "$TMP/err" "it is read again"
expect_no_grep 'cp1252\.txt:1: not UTF-8' "$TMP/err" "its decoding warning is not repeated"

# --- damaged UTF-8: kept as UTF-8, offsets of the file ------------------------
# A file whose non-ASCII bytes are mostly good UTF-8 is UTF-8 with a few bad
# bytes, not Windows-1252 (QA: "\xff\xfe" near one "é" made "traité" into
# "traitÃ©").  Each bad sequence becomes a 3-byte U+FFFD, yet byte_start and
# byte_end are offsets in the file: sliced from it and decoded the same way,
# they give the stored text, in every passage after the damage too.
D=$TMP/damaged
mkdir -p "$D"
printf 'Texte invalide \xff\xfe ici puis trait\xc3\xa9 de Rome.\n' >"$D/qa.txt"
python3 - "$D" <<'PY'
import os, sys
lines = [
    b"Un trait\xc3\xa9 sign\xc3\xa9 \xff\xfe\xfd \xe0 Rome, le 25 mars 1957.",
    b"Le trait\xc3\xa9 de Maastricht\x80 cr\xc3\xa9e l\xe2\x80\x99Union \xe2\x82.",
    b"    Un trait\xc3\xa9 indent\xc3\xa9 apr\xc3\xa8s \xc3 des d\xc3\xa9g\xc3\xa2ts, puis\0un NUL.",
    b"Le dernier trait\xc3\xa9, sans d\xc3\xa9g\xc3\xa2t.",
]
with open(os.path.join(sys.argv[1], "multi.txt"), "wb") as f:
    f.write(b"\n\n".join(lines) + b"\n")
PY
expect_status 0 "index damaged UTF-8 files" "$INDEXER" -d "$D.idx" "$D"
expect_grep "^${W}qa\\.txt:1: invalid UTF-8 at byte 15, replaced by U\\+FFFD \\(2 times\\)\$" "$TMP/err" "QA's file: repaired UTF-8 (line and first bad byte named)"
expect_grep "^${W}multi\\.txt:1: invalid UTF-8 at byte 18, replaced by U\\+FFFD \\(7 times\\)\$" "$TMP/err" "several damaged passages: repaired UTF-8"
expect_grep "^${W}multi\\.txt:5: NUL byte replaced by U\\+FFFD \\(1 time\\)\$" "$TMP/err" "and its NUL byte"
expect_no_grep 'read as' "$TMP/err" "neither is read as an 8-bit charset"
expect_status 0 "search 'traité' in them" "$SEARCHER" -d "$D.idx" --format jsonl --full -k 10 -- traité
cp "$TMP/out" "$TMP/damaged.jsonl"
python3 - "$D" "$TMP/damaged.jsonl" >"$TMP/slices" 2>&1 <<'PY' || true
import json, os, sys
root, hits = sys.argv[1], [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
want = {("qa.txt", 1)} | {("multi.txt", n) for n in range(1, 5)}
got = set()
for h in hits:
    raw = open(os.path.join(root, h["file"]), "rb").read()
    piece = raw[h["byte_start"]:h["byte_end"]]
    text = piece.decode("utf-8", "replace").replace("\0", "\ufffd")
    line = raw.count(b"\n", 0, h["byte_start"]) + 1
    ok = (text == h["text"] and "traité" in text and line == h["line"])
    print("%s %s#%d [%d,%d) line %d: %s" % ("ok" if ok else "BAD", h["file"], h["passage"],
          h["byte_start"], h["byte_end"], h["line"], "" if ok else repr((text, h["text"]))))
    if ok:
        got.add((h["file"], h["passage"]))
if got != want:
    print("MISSING", sorted(want - got))
PY
sed 's/^/#   /' "$TMP/slices"
if [ "$(grep -c '^ok' "$TMP/slices")" -eq 5 ] && ! grep -qv '^ok' "$TMP/slices"; then
    ok "byte_start/byte_end of the 5 hits slice the file to the stored text (U+FFFD for each bad sequence and NUL)"
else
    fail "byte_start/byte_end of the 5 hits slice the file to the stored text" "$(grep -v '^ok' "$TMP/slices")"
fi

# --- a FIFO where the catalogue should be: an error, not a hang ----------------
F=$TMP/fifo-cat
mkdir -p "$F"
printf 'Un texte.\n' >"$F/a.txt"
mkfifo "$F/CATALOG.tsv"
expect_status 2 "a FIFO named CATALOG.tsv does not block the indexer" timeout 20 "$INDEXER" -d "$F.idx" "$F"
expect_grep '^depeche-index: error: .*CATALOG\.tsv: not a regular file$' "$TMP/err" "it is reported as not a regular file"
expect_status 2 "a FIFO named as the PATH to index is refused, not waited on" timeout 20 "$INDEXER" -d "$F.idx" "$C/tube.txt"
expect_grep '^depeche-index: error: .*tube\.txt: not a file or directory$' "$TMP/err" "it is reported as not a file or directory"

# --- a catalogue that cannot be read: fatal however it fails, named ---------
# (rather than index its files without their titles); never a text to index
F=$TMP/bad-cat
mkdir -p "$F"
printf 'Un texte sur la vannerie.\n' >"$F/a.txt"
ln -s nulle-part.tsv "$F/CATALOG.tsv"
expect_status 2 "a dangling link named CATALOG.tsv is fatal" "$INDEXER" -d "$F.idx" "$F"
expect_grep '^depeche-index: error: .*/bad-cat/CATALOG\.tsv: dangling symbolic link$' "$TMP/err" "... named by its path"
expect_eq "$(wc -l <"$TMP/err")" 1 "... in one line, no warning about it as a text"
rm "$F/CATALOG.tsv"
mkdir "$F/CATALOG.tsv"
expect_status 2 "a folder named CATALOG.tsv is fatal" "$INDEXER" -d "$F.idx" "$F"
expect_grep '^depeche-index: error: .*/bad-cat/CATALOG\.tsv: is a directory$' "$TMP/err" "... named by its path"
rmdir "$F/CATALOG.tsv"
ln -s CATALOG.tsv "$F/CATALOG.tsv"
expect_status 2 "a CATALOG.tsv that links to itself is fatal" "$INDEXER" -d "$F.idx" "$F"
expect_grep '^depeche-index: error: .*/bad-cat/CATALOG\.tsv: cannot open: Too many levels of symbolic links$' "$TMP/err" "... named by its path"
expect_eq "$(wc -l <"$TMP/err")" 1 "... in one line, no warning about it as a text"
rm "$F/CATALOG.tsv"
printf 'file\ttitle\na.txt\tOsier\n' >"$F/CATALOG.tsv"
printf 'Une note sur la sparterie.\n' >"$F/note.tsv"
expect_status 0 "--ext txt,tsv: the catalogue is read" "$INDEXER" -v --ext txt,tsv -d "$F.idx" "$F"
expect_grep '^depeche-index: 2 files indexed' "$TMP/err" "... a.txt and note.tsv are indexed"
expect_no_grep 'CATALOG' "$TMP/err" "... the catalogue is not a text to index"

# --- --ext: what is wrong with a list is said ---------------------------------
expect_status 2 "--ext with 33 extensions" "$INDEXER" -d "$F.idx" --ext "$(seq -s, 1 33)" "$F"
expect_eq "$(cat "$TMP/err")" "depeche-index: error: --ext: too many extensions (at most 32)" "... says there are too many, and the limit"
expect_status 0 "--ext with 32 extensions" "$INDEXER" -q -d "$F.idx" --ext "$(seq -s, 1 31),txt" "$F"
for e in . .txt,. ; do
    expect_status 2 "--ext $e" "$INDEXER" -d "$F.idx" --ext "$e" "$F"
    expect_eq "$(cat "$TMP/err")" "depeche-index: error: --ext: '.' is an empty extension; expected a list like .txt,.md" "... is refused: an empty extension"
done
expect_status 2 "--ext ," "$INDEXER" -d "$F.idx" --ext , "$F"
expect_eq "$(cat "$TMP/err")" "depeche-index: error: --ext: expected a list like .txt,.md" "... is refused: no extension"

# --- an index path that is a file: refused by name, the file untouched ------
F=$TMP/not-an-index
printf 'mes notes\n' >"$F"
for args in "" "-j 2" "--rebuild" "--shards 2"; do
    expect_status 2 "depeche-index $args -d FILE" "$INDEXER" $args -d "$F" "$C"
    expect_grep '^depeche-index: error: .*not-an-index: not an index folder \(a file of that name is in the way\)$' "$TMP/err" "depeche-index $args: names the file"
done
expect_eq "$(cat "$F")" "mes notes" "the file is left as it was"
: >"$TMP/empty-stub"
for f in "$F" "$TMP/empty-stub"; do
    expect_status 2 "depeche-search -d $(basename "$f")" "$SEARCHER" -d "$f" Pakistan
    expect_grep "^depeche-search: error: .*$(basename "$f"): not a dépêche index \(build one with depeche-index\)$" "$TMP/err" "$(basename "$f") is not an index"
done

# a stub whose later line is mistyped is still an index: that shard fails,
# named, and --allow-partial searches the others
"$INDEXER" -q --shards 2 -d "$TMP/typo.idx" "$C" || fail "index in 2 shards"
echo "remot :localhost:7001" >>"$TMP/typo.idx/XAPIANDB"
expect_status 2 "a mistyped stub line" "$SEARCHER" -d "$TMP/typo.idx" Pakistan
expect_grep "^depeche-search: error: .*shard 2 \(remot :localhost:7001\): .*unknown stub line kind" "$TMP/err" "... names that shard, not 'not a dépêche index'"
"$SEARCHER" -d "$TMP/typo.idx" --allow-partial --count Pakistan >/dev/null 2>"$TMP/err"
expect_grep "^depeche-search: note: searching without shard 2 \\(remot :localhost:7001\\)$" "$TMP/err" "... and --allow-partial searches the others"

# --- an unreadable file (permissions) ----------------------------------------
# chmod 000 stops anyone but root; as root, run the indexer as nobody
# (runuser, else setpriv), here and in the next section; without either,
# skip these checks.
as=()
if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null && runuser -u nobody -- true 2>/dev/null; then
        as=(runuser -u nobody --)
    elif command -v setpriv >/dev/null &&
       setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        as=(skip)
    fi
    chmod 755 "$TMP"
fi
P=$TMP/perm
mkdir -p "$P"
printf 'Un texte lisible sur la verrerie.\n' >"$P/lisible.txt"
printf 'Un texte secret sur la ganterie.\n' >"$P/secret.txt"
chmod 000 "$P/secret.txt"
chmod 777 "$P"
if [ "${as[0]:-}" = skip ]; then
    echo "# skipped: unreadable file (running as root without runuser or setpriv)"
else
    expect_status 0 "a file without read permission" "${as[@]}" "$INDEXER" -d "$P/idx" "$P"
    expect_grep "^${W}secret\\.txt: cannot open: Permission denied\$" "$TMP/err" "warning: cannot open, permission denied"
    expect_grep '^depeche-index: 1 file indexed, 0 unchanged, 1 skipped' "$TMP/err" "the readable file is indexed"
    # an index that cannot be created (its parent is not writable) is not
    # "damaged", and --rebuild would not help
    mkdir -p "$TMP/ro" && chmod 755 "$TMP/ro"
    for opt in -j1 --rebuild; do
        expect_status 2 "an index that cannot be created ($opt)" "${as[@]}" "$INDEXER" $opt -d "$TMP/ro/idx" "$P"
        expect_grep "^depeche-index: error: .*/ro/idx: cannot create the index \(.*Permission denied\)\)\$" "$TMP/err" "... says so, with the reason"
        expect_no_grep 'damaged|--rebuild' "$TMP/err" "... and not that it is damaged"
    done
fi

# --- a folder that cannot be read (permissions) ---------------------------
# Its files stay in the index, as those of an unreadable file do: the walk
# could not tell whether they are still there.  Same for the PATH itself,
# whose catalogue is then not the problem to report.  As nobody when
# root (see above).
D=$TMP/nb
mkdir -p "$D/c/a" "$D/c/sub"
printf 'Un texte sur la chapellerie.\n' >"$D/c/a/one.txt"
printf 'Un texte sur la tonnellerie.\n' >"$D/c/sub/two.txt"
printf 'Un texte sur la coutellerie.\n' >"$D/c/three.txt"
printf 'file\ttitle\tdate\tsource\nthree.txt\tCouteaux\t\t\n' >"$D/c/CATALOG.tsv"
chmod -R a+rwX "$D"
if [ "${as[0]:-}" = skip ]; then
    echo "# skipped: unreadable folder (running as root without runuser or setpriv)"
else
    expect_status 0 "unreadable folder: first run" "${as[@]}" "$INDEXER" -d "$D/idx" "$D/c"
    expect_grep '^depeche-index: 3 files indexed' "$TMP/err" "unreadable folder: 3 files indexed"
    chmod 000 "$D/c/a"
    rm "$D/c/sub/two.txt"
    expect_status 0 "a subfolder without read permission" "${as[@]}" "$INDEXER" -v -d "$D/idx" "$D/c"
    expect_grep "^${W}a: cannot read directory: Permission denied\$" "$TMP/err" "warning: a: cannot read directory"
    expect_no_grep 'removed a/one\.txt' "$TMP/err" "its file is not removed"
    expect_grep '^depeche-index: removed sub/two\.txt$' "$TMP/err" "a file gone from a readable folder still is"
    expect_grep '^depeche-index: 0 files indexed, 1 unchanged, 1 skipped, 1 removed;' "$TMP/err" "summary: the kept file is skipped, not removed"
    expect_status 0 "its passages are still found" "$SEARCHER" -d "$D/idx" --count chapellerie
    expect_eq "$(cat "$TMP/out")" 1 "... one passage"
    chmod 000 "$D/c"
    expect_status 0 "a PATH without read permission" "${as[@]}" "$INDEXER" -v -d "$D/idx" "$D/c"
    expect_grep "^${W}.*/c: cannot read directory: Permission denied\$" "$TMP/err" "warning: the PATH cannot be read"
    expect_no_grep 'CATALOG' "$TMP/err" "... and not that its catalogue cannot be opened"
    expect_grep '^depeche-index: 0 files indexed, 0 unchanged, 2 skipped, 0 removed;' "$TMP/err" "summary: its files are kept"
    chmod 777 "$D/c" "$D/c/a"
    expect_status 0 "both readable again" "${as[@]}" "$INDEXER" -d "$D/idx" "$D/c"
    expect_grep '^depeche-index: 0 files indexed, 2 unchanged, 0 skipped, 0 removed;' "$TMP/err" "nothing to index again"
    expect_status 0 "the catalogue title is kept" "$SEARCHER" -d "$D/idx" --count 'title:Couteaux'
    expect_eq "$(cat "$TMP/out")" 1 "... one passage"
fi

# --- the huge line -------------------------------------------------------------
TIME=/usr/bin/time
start=$(date +%s%N)
if [ -x "$TIME" ]; then
    expect_status 0 "index a $HUGE_MB MB single-line file" \
        timeout 240 "$TIME" -f 'RSS %M' -o "$TMP/rss" "$INDEXER" -d "$H.idx" "$H"
else
    expect_status 0 "index a $HUGE_MB MB single-line file" timeout 240 "$INDEXER" -d "$H.idx" "$H"
fi
echo "# indexing the $HUGE_MB MB line took $(( ($(date +%s%N) - start) / 1000000 )) ms"
sed 's/^/#   /' "$TMP/err"
expect_grep '^depeche-index: 1 file indexed, 0 unchanged, 0 skipped, 0 removed; 1 passage;' "$TMP/err" "one passage"
expect_status 0 "search its marker word" "$SEARCHER" -d "$H.idx" --format jsonl -k 1 -- ptérodactyle
expect_grep '"file":"enorme\.txt","passage":1,"line":1,.*"snippet":"[^"]*ptérodactyle vole' "$TMP/out" "'ptérodactyle' finds the marker near the end of the line"
# (--count: the snippet of a 50 MB passage takes seconds to compute)
expect_status 0 "search its marker word without accents" "$SEARCHER" -d "$H.idx" --count -- pterodactyle
expect_eq "$(cat "$TMP/out")" 1 "'pterodactyle' finds it too"
# Peak RSS bound.  The indexer holds the file (HUGE_MB), the passage's
# record and Xapian's copy of it as document data (HUGE_MB each, plus a
# compressed copy) and its positional postings (~8M words, a few bytes
# each): ~6x the file.  Measured: ~300 MB, ~380 MB under meson test, whose
# MALLOC_PERTURB_ touches every allocated byte.  600 MB for 50 MB still
# catches a copy per word, per line or a quadratic buffer.
if [ -n "$sanitized" ]; then
    echo "# skipped: peak RSS check (sanitizer build: shadow memory, quarantine)"
elif [ -s "$TMP/rss" ] && grep -q '^RSS [0-9]' "$TMP/rss"; then
    rss_kb=$(sed -n 's/^RSS //p' "$TMP/rss")
    echo "# peak RSS: $((rss_kb / 1024)) MB for a $HUGE_MB MB line"
    if [ "$rss_kb" -lt $((600 * 1024)) ]; then
        ok "peak RSS on a $HUGE_MB MB line below 600 MB ($((rss_kb / 1024)) MB)"
    else
        fail "peak RSS on a $HUGE_MB MB line below 600 MB" "$((rss_kb / 1024)) MB"
    fi
else
    echo "# skipped: peak RSS check (no /usr/bin/time: apt-get install time)"
fi
expect_status 0 "second run on the huge file" timeout 60 "$INDEXER" -d "$H.idx" "$H"
expect_grep '^depeche-index: 0 files indexed, 1 unchanged, 0 skipped, 0 removed' "$TMP/err" "second run indexes 0 files"
# --- names in NFD (macOS, zip archives made there) ---------------------------
# A name typed with "é" (NFC) finds the file whose name on disk is "e" +
# U+0301 (NFD), and the other way round, in --cite and in file:.
N=$TMP/nfd
mkdir -p "$N"
nfd=$(printf 'De\xcc\x81claration') nfc=$(printf 'D\xc3\xa9claration')
printf 'Un texte sur la vannerie.\n\nUn autre sur la poterie.\n' >"$N/$nfd commune.txt"
printf 'Un texte sur la sellerie.\n' >"$N/Re$(printf '\xcc\x81')sume$(printf '\xcc\x81').txt"
"$INDEXER" -q -d "$N.idx" "$N" || fail "index the NFD names"
expect_status 0 "--cite with the NFC form of an NFD name" "$SEARCHER" -d "$N.idx" --cite "$nfc commune.txt#2" --format jsonl
expect_grep '"passage":2,.*poterie' "$TMP/out" "... cites that file's passage"
expect_status 0 "--cite with an NFC prefix" "$SEARCHER" -d "$N.idx" --cite "$nfc:1" --format jsonl
expect_grep 'vannerie' "$TMP/out" "... cites its first line"
for q in "file:$nfc" "file:\"$nfc commune.txt\"" "file:$nfc*" "file:*$(printf 'R\xc3\xa9sum\xc3\xa9')*"; do
    expect_status 0 "$q (NFC) finds the NFD-named file" "$SEARCHER" -d "$N.idx" --count "$q"
    expect_eq "$(cat "$TMP/out")" "$([ "${q#*R}" != "$q" ] && echo 1 || echo 2)" "... all its passages"
done
expect_status 0 "an NFD file: filter still finds it" "$SEARCHER" -d "$N.idx" --count "file:$nfd"
expect_eq "$(cat "$TMP/out")" 2 "... both passages"
printf 'Un texte sur la chaudronnerie.\n' >"$N/$(printf 'H\xc3\xa9ros').txt"
"$INDEXER" -q -d "$N.idx" "$N" || fail "index an NFC name"
expect_status 0 "--cite with the NFD form of an NFC name" "$SEARCHER" -d "$N.idx" --cite "$(printf 'He\xcc\x81ros.txt')" --format jsonl
expect_grep 'chaudronnerie' "$TMP/out" "... cites that file"
expect_status 1 "a name of no file is still none" "$SEARCHER" -d "$N.idx" --cite "$(printf 'D\xc3\xa9cor')"
# --- names that are not UTF-8 (Latin-1 names from an old archive) ----------
# Shown escaped ("r\xe9sum\xe9.txt#1"), and the id as shown cites the file.
L1=$TMP/latin1
mkdir -p "$L1"
printf 'Un texte sur la tonnellerie.\n\nUn autre sur la corderie.\n' >"$L1/r$(printf '\xe9')sum$(printf '\xe9').txt"
printf 'Un texte sur la ferronnerie.\n' >"$L1/r$(printf '\xe9')sum$(printf '\xe9').txt.bak.txt"
"$INDEXER" -q -d "$L1.idx" "$L1" || fail "index the Latin-1 names"
expect_status 0 "a Latin-1 name: search" "$SEARCHER" -d "$L1.idx" --format tsv corderie
id=$(tail -n 1 "$TMP/out" | cut -f 4)
expect_eq "$id" 'r\xe9sum\xe9.txt#2' "... its id is shown escaped"
expect_status 0 "--cite with the id as shown" "$SEARCHER" -d "$L1.idx" --cite "$id"
expect_grep '^Un autre sur la corderie\.$' "$TMP/out" "... cites that passage"
expect_status 0 "--cite with the name as shown, though it begins another name" "$SEARCHER" -d "$L1.idx" --cite 'r\xe9sum\xe9.txt:1'
expect_grep '^Un texte sur la tonnellerie\.$' "$TMP/out" "... cites its first line"
expect_status 0 "--cite with an escaped prefix of one name" "$SEARCHER" -d "$L1.idx" --cite 'r\xe9sum\xe9.txt.b'
expect_grep 'ferronnerie' "$TMP/out" "... cites that file"
expect_status 2 "an escaped prefix of two names is ambiguous" "$SEARCHER" -d "$L1.idx" --cite 'r\xe9s'
expect_grep 'ambiguous, 2 files match' "$TMP/err" "... and says so"
finish
