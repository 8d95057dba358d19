#!/usr/bin/env bash
# e2e_query.sh -- the query language on the bundled corpus: phrases, NEAR,
# boolean structure, expansions, filters, errors, quotations, suggestions.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
F0=000_4c187126246bc5f9.txt
"$INDEXER" -q -d "$IDX" "$SRC/corpus" || { fail "index"; finish; exit 1; }

# ids QUERY...: the sorted passage ids of every hit
ids() { "$SEARCHER" -d "$IDX" --format trec -k 1000 "$@" | awk '{print $3}' | sort; }
# lines QUERY...: FILE:LINE of every hit, sorted
lines() {
    "$SEARCHER" -d "$IDX" --format jsonl -k 1000 "$@" |
        python3 -c 'import sys, json
for l in sys.stdin: h = json.loads(l); print("%s:%d" % (h["file"], h["line"]))' | sort
}

# The passages holding "coopération militaire" in sequence, found by an
# independent reading of the files (one passage per line here; the short
# lines without final punctuation are headings, not passages).
python3 - "$SRC/corpus" <<'PY' | sort >"$TMP/want_phrase"
import os, re, sys, unicodedata
def fold(s):
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()
for f in sorted(os.listdir(sys.argv[1])):
    if not f.endswith(".txt"): continue
    for n, line in enumerate(open(os.path.join(sys.argv[1], f), encoding="utf-8"), 1):
        words = re.findall(r"\w+", fold(line))
        if len(line.strip()) < 160 and not re.search(r"[.!?…:;»)\]\"]$", line.strip()):
            continue
        if any(words[i:i+2] == ["cooperation", "militaire"] for i in range(len(words))):
            print("%s:%d" % (f, n))
PY
lines '"coopération militaire"' >"$TMP/got_phrase"
if [ -s "$TMP/want_phrase" ] && diff -q "$TMP/want_phrase" "$TMP/got_phrase" >/dev/null; then
    ok "\"coopération militaire\" matches exactly the passages with the two words in sequence ($(wc -l <"$TMP/want_phrase"))"
else fail "\"coopération militaire\" matches exactly the passages with the two words in sequence" "$(diff "$TMP/want_phrase" "$TMP/got_phrase")"; fi
lines '"COOPERATION Militaire"' >"$TMP/got_phrase2"
if diff -q "$TMP/got_phrase" "$TMP/got_phrase2" >/dev/null; then ok "phrases ignore case and accents"; else fail "phrases ignore case and accents"; fi
lines 'coopération NEAR/3 militaire' >"$TMP/near"
if [ -z "$(comm -23 "$TMP/got_phrase" "$TMP/near")" ] && [ "$(wc -l <"$TMP/near")" -ge "$(wc -l <"$TMP/got_phrase")" ]; then
    ok "coopération NEAR/3 militaire is a superset of the phrase"
else fail "coopération NEAR/3 militaire is a superset of the phrase" "$(cat "$TMP/near")"; fi
lines 'militaire NEAR/3 coopération' >"$TMP/near2"
if diff -q "$TMP/near" "$TMP/near2" >/dev/null; then ok "NEAR is symmetric"; else fail "NEAR is symmetric"; fi
lines '"coopération militaire"~3' >"$TMP/sloppy"
if [ -z "$(comm -23 "$TMP/got_phrase" "$TMP/sloppy")" ]; then ok "a sloppy phrase includes the exact phrase"; else fail "a sloppy phrase includes the exact phrase"; fi

expect_eq "$(lines 'Musharraf~' | tr '\n' ' ')" "$F0:5 $F0:6 $F0:7 " "Musharraf~ finds the three passages naming him in either spelling"
expect_eq "$(lines 'Musharraf' | tr '\n' ' ')" "$F0:5 " "Musharraf alone finds one spelling"
expect_eq "$(lines 'Moucharraf~2' | tr '\n' ' ')" "$F0:5 $F0:6 $F0:7 " "Moucharraf~2 reaches both spellings"

# ordinals stem to their value however they are written
F1=001_ea4138b068591137.txt
expect_eq "$(lines 13e | tr '\n' ' ')" "$F0:12 $F1:38 " "13e finds the XIIIe Sommet and the 13ᵉ Forum"
expect_eq "$(lines 13ème | tr '\n' ' ')" "$F0:12 $F1:38 " "13ème too"
expect_eq "$(lines XXIXe | tr '\n' ' ')" "$F1:35 " "XXIXe finds the 29e session"
expect_eq "$(lines 29ème | tr '\n' ' ')" "$F1:35 " "29ème finds it too"
expect_eq "$(lines =13e | tr '\n' ' ')" "$F1:38 " "=13e: an exact word keeps its spelling (13ᵉ, not XIIIe)"
expect_status 1 "xxixe in lower case is not read as a Roman numeral" "$SEARCHER" -d "$IDX" --correction-weight 0 xxixe
# ... and an ordinal has no other number: "XXIe" is "21e", not "xxies",
# whose stem is the bare numeral's (QA: XXIe found "au XXI siècle", 21e not)
mkdir -p "$TMP/ordn"
printf 'Au XXIe siècle.\n\nAu 21e siècle.\n\nLe pape Jean XXI.\n' >"$TMP/ordn/o.txt"
"$INDEXER" -q -d "$TMP/ordnidx" "$TMP/ordn" || fail "index the bare numeral"
for q in XXIe 21e XXIème; do
    expect_eq "$("$SEARCHER" -d "$TMP/ordnidx" --format trec "$q" | awk '{print $3}' | sort | tr '\n' ' ')" "o.txt#1 o.txt#2 " "$q finds the 21st century, not Jean XXI"
done
# ... nor is it an unknown word: the texts' "XIIIe" is "xiiie" written
# (QA: --count xiiie noted 'no passage has "xiiie": also searched "xiiie"')
expect_status 0 "xiiie in lower case" "$SEARCHER" -d "$IDX" --count xiiie
expect_eq "$(cat "$TMP/out")" 1 "... counts the passage that writes XIIIe"
expect_no_grep 'also searched' "$TMP/err" "... as a word it knows, not as a spelling correction"
# ... in phrases and quotations too
expect_eq "$(lines '"XXIXe session"' | tr '\n' ' ')" "$F1:35 " '"XXIXe session" finds "29e session"'
expect_eq "$(lines '"13ème Forum urbain"' | tr '\n' ' ')" "$F1:38 " '"13ème Forum urbain" finds "13ᵉ Forum urbain"'
expect_status 0 "--quote with an ordinal written otherwise" "$SEARCHER" -d "$IDX" --format grep --highlight markdown --quote "l'excellente organisation de la XXIXe session de la Conférence des Parties"
expect_grep '\*\*29e\*\* \*\*session\*\*' "$TMP/out" "is found and highlighted"
expect_grep 'quote: exact' "$TMP/err" "... as an exact quotation"
# ... and every way of writing one is highlighted, "1re" and "2nde" too,
# whose first letters are not those of their value ("1e", "2e")
mkdir -p "$TMP/ord"
printf 'La 1re réunion.\n\nLe 2nd tour.\n\nLe 1er tour et la 1ère fois.\n\nLa 2nde guerre.\n' >"$TMP/ord/o.txt"
"$INDEXER" -q -d "$TMP/ordidx" "$TMP/ord" || fail "index the ordinals"
hl_all() {
    "$SEARCHER" -d "$TMP/ordidx" --format jsonl -k 10 "$@" | python3 -c 'import sys, json
for l in sys.stdin:
    h = json.loads(l); s = h["snippet"].encode()
    print(h["passage"], " ".join(s[a:b].decode() for a, b in h["highlights"]))' | sort
}
expect_eq "$(hl_all 1er)" "1 1re
3 1er 1ère" "1er finds and highlights 1re, 1er and 1ère"
expect_eq "$(hl_all 2e)" "2 2nd
4 2nde" "2e finds and highlights 2nd and 2nde"

# A word typed with a capital is searched first as written: "Santer" is not
# "santé", whose stem (sant) Snowball gives it too
mkdir -p "$TMP/cap"
cat >"$TMP/cap/c.txt" <<'EOF'
Débats

Transports la pêche du a le du et transports des du du.

Dans la transports la nord dans le a question conseil de le.

La santé publique et la santé des enfants, la santé au travail.

Et du dans les dans régions la pêche examiné conseil la du.

Des et les de les nord dans pêche les transports la le.

Le président Santer a répondu hier aux questions des députés sur le budget des régions du nord.

Et question la examiné des et de examiné a du du a.

Pêche a les la le de les les examiné conseil conseil dans.

La santé, la santé animale, la santé végétale et les transports de la pêche du conseil, dit le président Santer hier.

La et nord transports conseil de le a examiné conseil des les.

De et la conseil la la pêche la dans dans régions nord.

Dans examiné nord et les transports de les et nord de la.

Le les la le dans la conseil la régions pêche pêche et.

Du le conseil le pêche et régions de la question pêche question.

La pêche et de dans examiné le la de nord transports et.

Transports la question les examiné examiné la la transports régions question a.

La des régions et transports examiné conseil nord des la question et.

La a pêche la les de nord et régions pêche les de.

Les les conseil les la des le du nord les transports conseil.

Régions nord de la transports a de examiné transports conseil conseil nord.

Des les conseil le du examiné question nord de transports le nord.

Les conseil examiné la la et du conseil pêche transports des examiné.

Examiné question transports et la le du dans conseil et transports et.
EOF
"$INDEXER" -q -d "$TMP/capidx" "$TMP/cap" || fail "index the capitals"
cap() { "$SEARCHER" -d "$TMP/capidx" --format trec -k 2 --neighbour-weight 0 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(cap Santer)" "c.txt#9 c.txt#6 " "Santer: the two passages naming him first"
expect_eq "$(cap --capitals 1,0.3 Santer)" "c.txt#9 c.txt#3 " "... where by its stem santé (three times) came second"
expect_eq "$(cap santer)" "$(cap --capitals 1,0.3 Santer)" "... as it does typed in lower case"
expect_eq "$("$SEARCHER" -d "$TMP/capidx" --count Santer) $("$SEARCHER" -d "$TMP/capidx" --count santer)" "3 3" "capitals change the order, not what matches"
for w in 0,1 0,0; do
    expect_eq "$("$SEARCHER" -d "$TMP/capidx" --count --capitals $w Santer)" 3 "... also with --capitals $w: a stem at weight 0 still matches"
done
"$SEARCHER" -d "$TMP/capidx" -k 1 --format jsonl --snippet-words 4 --neighbour-weight 0 Santer >"$TMP/out"
expect_grep '"snippet":"… le président Santer hier\."' "$TMP/out" "the snippet of the passage with both shows Santer, not santé"
expect_status 2 "--capitals takes STEM,EXACT" "$SEARCHER" -d "$TMP/capidx" --capitals 0.4 Santer
expect_grep '^depeche-search: error: --capitals: expected STEM,EXACT' "$TMP/err" "... and says so"

# A hyphenated word is a phrase of its parts, but for a pronoun joined to a
# verb ("proposent-ils", "allez-y"): "bien-être" is not "bien"
mkdir -p "$TMP/hy"
printf 'Le bien commun prime.\n\nLe bien-être des peuples.\n\nIls proposent une réforme.\n\nAllez au marché.\n\nCe jour-là, la séance fut levée.\n\nLe jour se lève.\n\nUn rendez-vous est fixé.\n\nRendez votre copie.\n\nLes motions sont nombreuses.\n' >"$TMP/hy/h.txt"
"$INDEXER" -q -d "$TMP/hyidx" "$TMP/hy" || fail "index the hyphenated words"
hy() { "$SEARCHER" -d "$TMP/hyidx" --format trec -k 10 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(hy bien-être)" "h.txt#2 " "bien-être finds the passage that says bien-être only"
expect_eq "$(hy proposent-ils)" "h.txt#3 " "proposent-ils: the inverted pronoun is left out"
expect_eq "$(hy allez-y)" "h.txt#4 " "allez-y: so is an imperative's"
expect_eq "$(hy jour-là)" "h.txt#5 " "jour-là: là is no pronoun (it folds to la)"
expect_eq "$(hy rendez-vous)" "h.txt#7 " "rendez-vous is the noun"
expect_eq "$(hy sont-elles)" "h.txt#9 " "sont-elles: only the stop word sont is left, and it is searched (no 'empty query' error)"
# an ordinal alone in a phrase or a field matches however it is written too
expect_eq "$(lines '"XXIXe"' | tr '\n' ' ')" "$F1:35 " '"XXIXe" finds "29e"'

# Headings one after the other make one section: none of their words is
# lost (the heading that opens the file is its title, not in the run)
mkdir -p "$TMP/hr"
printf 'TRAITÉ SUR L’UNION\n\nTITRE PREMIER\nDISPOSITIONS COMMUNES\n\nArticle premier\n\nPar le présent traité, les parties instituent une Union.\n\nArticle 2\n\nL’Union est fondée sur la dignité humaine.\n' >"$TMP/hr/t.txt"
"$INDEXER" -q -d "$TMP/hridx" "$TMP/hr" || fail "index the heading runs"
hr() { "$SEARCHER" -d "$TMP/hridx" --format trec -k 10 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(hr section:dispositions)" "t.txt#1 " "section:dispositions finds the passage under TITRE PREMIER / DISPOSITIONS COMMUNES / Article premier"
expect_eq "$(hr 'section:"dispositions communes"')" "t.txt#1 " "... as a phrase"
expect_eq "$(hr 'section:"premier dispositions"')" "" "but no phrase runs from one heading into the next"
expect_eq "$(hr section:dispo*) / $(hr title:trai*) / $(hr section:arti*)" "t.txt#1  / t.txt#1 t.txt#2  / t.txt#1 t.txt#2 " "section:dispo* and title:trai*: a word of the heading or title starts so"
expect_eq "$(hr section:dispositionz*)" "" "... and nothing when none does"
expect_eq "$(hr section:Dispo.*) / $(hr title:Trai-*)" "t.txt#1  / t.txt#1 t.txt#2 " "... also with punctuation before the *, as a free prefix*"
"$SEARCHER" -d "$TMP/hridx" --format trec 'section:"dispo*"' >"$TMP/out" 2>"$TMP/err"
expect_grep '^depeche-search: note: column 1: a section:"phrase" has no prefix\*: searched the word "dispo"$' "$TMP/err" 'section:"dispo*": a note says a quoted value has no prefix'
"$SEARCHER" -d "$TMP/hridx" --format trec 'x title:Union-trai*' >"$TMP/out" 2>"$TMP/err"
expect_grep '^depeche-search: note: column 3: a title: value of several words has no prefix\*: searched the word "trai"$' "$TMP/err" "... nor one of several words"
# past 200 words a prefix of a field keeps the most frequent, with a note
# naming what they are words of
mkdir -p "$TMP/many"
python3 -c '
import sys, itertools
d = sys.argv[1]
names = ["".join(p) for p in itertools.product("abcdefghijklmnop", repeat=2)][:210]
with open(d + "/m.md", "w") as f:
    for n in names:
        f.write("## Coop%s\n\nUn paragraphe sur la coopération %s.\n\n" % (n, n))
with open(d + "/CATALOG.tsv", "w") as f:
    f.write("file\ttitle\tdate\tsource\n")
    for i, n in enumerate(names):
        open("%s/t%03d.txt" % (d, i), "w").write("Un texte sur la vannerie.\n")
        f.write("t%03d.txt\tTraité%s\t\t\n" % (i, n))
' "$TMP/many"
"$INDEXER" -q -d "$TMP/manyidx" "$TMP/many" || fail "index 210 headings and titles"
expect_status 0 "section:coop* past 200 heading words" "$SEARCHER" -d "$TMP/manyidx" --count 'section:coop*'
expect_grep '^depeche-search: note: column 1: section:coop\* stands for the 200 most frequent of 210 heading words$' "$TMP/err" "... a note says so"
expect_status 0 "title:traite* past 200 title words" "$SEARCHER" -d "$TMP/manyidx" --count 'title:traite*'
expect_grep '^depeche-search: note: column 1: title:traite\* stands for the 200 most frequent of 210 title words$' "$TMP/err" "... a note says so, of title words"
expect_status 2 "section:dis*ositions is refused" "$SEARCHER" -d "$TMP/hridx" 'section:dis*ositions'
expect_eq "$("$SEARCHER" -d "$TMP/hridx" --format jsonl --cite 't.txt#1' | python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["section"])')" "TITRE PREMIER · DISPOSITIONS COMMUNES · Article premier" "the section shows the whole run"
expect_eq "$("$SEARCHER" -d "$TMP/hridx" --format jsonl --cite 't.txt#2' | python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["section"])')" "Article 2" "a heading alone is the section"

# An elided article typed without its apostrophe, or apart from its word
# (after a space, at a line end), is no word, as in "l'homme": the phrase
# matches however the text and the query write it
mkdir -p "$TMP/el"
printf 'La déclaration des droits de l’homme.\n\nLa construction européenne avance lentement mais sûrement, et celle de l’\nEurope politique suit le même chemin depuis des années, dit-on.\n' >"$TMP/el/e.txt"
"$INDEXER" -q -d "$TMP/elidx" "$TMP/el" || fail "index the elisions"
el() { "$SEARCHER" -d "$TMP/elidx" --format trec -k 10 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(el '"droits de l homme"') / $(el '"droits de l’homme"')" "e.txt#1  / e.txt#1 " '"droits de l homme" finds "droits de l’homme"'
expect_eq "$(el '"celle de l Europe"') / $(el '"celle de l’Europe"')" "e.txt#2  / e.txt#2 " "... and a text that wraps after l’"

# Thousands apart are one number, in the texts as in queries, however they
# are typed; the highlight covers the whole number
mkdir -p "$TMP/num"
printf 'Le programme crée 15 000 emplois.\n\nIl coûte 2\xc2\xa0500,75 euros à 1\xe2\x80\xaf234 communes.\n\nLes 100 000 premiers.\n' >"$TMP/num/n.txt"
"$INDEXER" -q -d "$TMP/numidx" "$TMP/num" || fail "index the numbers"
num() { "$SEARCHER" -d "$TMP/numidx" --format trec -k 10 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(num 15000) / $(num '15 000') / $(num '"15 000"') / $(num $'15\xc2\xa0000')" "n.txt#1  / n.txt#1  / n.txt#1  / n.txt#1 " "15 000 is one number: 15000, 15 000, \"15 000\", with a no-break space"
expect_eq "$(num 000) / $(num 15)" " / " "... not the words 15 and 000"
expect_eq "$(num '2 500,75') / $(num 1234) / $(num '100 000')" "n.txt#2  / n.txt#2  / n.txt#3 " "no-break and narrow no-break spaces, decimals"
expect_eq "$("$SEARCHER" -d "$TMP/numidx" --format grep '15 000')" "n.txt:1:20: Le programme crée **15 000** emplois." "the highlight and the column are the whole number's"

# A file whose first heading is its title has it as the section of its
# first passages: its words count once as context, not twice
mkdir -p "$TMP/tt"
printf 'Politique commune de la pêche\n\nLa pêche est une politique.\n\nAutre section\n\nTexte sur la pêche encore.\n' >"$TMP/tt/a.txt"
"$INDEXER" -q -d "$TMP/ttidx" "$TMP/tt" || fail "index the titled file"
expect_eq "$("$SEARCHER" -d "$TMP/ttidx" --explain -k 2 commune | grep -c 'title/section ~commun  tf 1 ')" "2" "the title heading counts once in the passages under it (tf 1), as elsewhere"

# A file with neither a catalogue title nor a heading is titled by its name:
# title: finds it, but the name's words ("12", "txt") do not rank its
# passages (they hold neither)
mkdir -p "$TMP/nt"
printf 'Le Conseil adopte la position commune.\n\nLa séance est levée à midi.\n' >"$TMP/nt/ep-00-04-12-s020.txt"
printf 'Le douzième amendement est rejeté.\n' >"$TMP/nt/autre.txt"
"$INDEXER" -q -d "$TMP/ntidx" "$TMP/nt" || fail "index the untitled files"
nt() { "$SEARCHER" -d "$TMP/ntidx" --format trec -k 10 "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(nt 'title:txt')" "autre.txt#1 ep-00-04-12-s020.txt#1 ep-00-04-12-s020.txt#2 " "title: matches the file name of an untitled file"
expect_eq "$(nt txt) / $(nt 12)" " / " "the file name's words do not rank its passages (txt, 12)"

# spelling correction: a free word no passage holds in any form (its stem,
# its first 5 letters, its stem in a title or heading) is searched as the
# most frequent word one edit away, at the weight of the word itself
trec() { "$SEARCHER" -d "$IDX" --format trec -k 1000 "$@" 2>"$TMP/err" | awk '{print $3, $4, $5}'; }
expect_eq "$(trec Azrebaïdjan)" "$(trec azerbaidjan)" "Azrebaïdjan (two letters swapped) ranks as azerbaidjan, scores included"
trec Azrebaïdjan >/dev/null
expect_grep 'note: column 1: no passage has "azrebaidjan": also searched "azerbaidjan"' "$TMP/err" "... and a note says so"
expect_status 1 "--correction-weight 0: no correction, no hit" "$SEARCHER" -d "$IDX" --correction-weight 0 Azrebaïdjan
expect_status 0 "--explain of a correction weighted 0.5" "$SEARCHER" -d "$IDX" --format jsonl --explain --correction-weight 0.5 Azrebaïdjan
if python3 -c 'import sys, json
n = 0
for l in open(sys.argv[1]):
    h = json.loads(l); e = h["explain"]; n += 1
    assert abs(sum(t["bm25"] for t in e["terms"]) + e["other"] + e["neighbours"] - h["score"]) < 1e-3, (e, h["score"])
assert n > 0' "$TMP/out"; then
    ok "... its terms' shares add up to each score"; else fail "... its terms' shares add up to each score" "$(head -c 600 "$TMP/out")"; fi
# The first letters of a word of the index are a word cut short, not a
# misspelling, also where the truncation is not searched: "--count Pakis"
# had counted the passages of "paris" (QA), and its suggestion is the
# prefix query; a misspelling is still corrected in a count.
expect_eq "$("$SEARCHER" -d "$IDX" --count Pakis 2>"$TMP/err")" 0 "--count Pakis counts no other word"
expect_no_grep 'also searched' "$TMP/err" "... corrects nothing"
expect_grep '^Essayez : Pakis\*$' "$TMP/err" "... and suggests the prefix query"
expect_status 0 "... which finds passages" "$SEARCHER" -d "$IDX" --count 'Pakis*'
expect_eq "$("$SEARCHER" -d "$IDX" --count Paksitan 2>"$TMP/err")" "$("$SEARCHER" -d "$IDX" --count Pakistan)" "--count Paksitan counts its correction"
expect_grep 'also searched "pakistan"' "$TMP/err" "... with its note"
expect_eq "$(trec 'Pakistan -Azrebaïdjan')" "$(trec Pakistan)" "an excluded word is not corrected"
expect_eq "$(wc -c <"$TMP/err")" 0 "... and gets no note"
expect_status 1 "=exact words are not corrected" "$SEARCHER" -d "$IDX" "=Azrebaïdjan"
expect_status 1 "words of 3 letters are not corrected (gnk: gnl is one edit away)" "$SEARCHER" -d "$IDX" gnk
expect_status 1 "words holding a digit are not corrected" "$SEARCHER" -d "$IDX" Azrebaïdjan2
expect_eq "$(trec 'Pakistn')" "$(trec 'Pakistn' --correction-weight 0)" "a word found by its first 5 letters is not corrected (Pakistn)"
many=$(python3 -c "print(' '.join('Azrebaidjxn' + c for c in 'abcdefgh'))")
expect_status 1 "8 unknown words with no correction, then a 9th: not looked up" "$SEARCHER" -d "$IDX" "$many Azrebaïdjan"
expect_grep 'note: column 105: only the first 8 unknown words are corrected' "$TMP/err" "... and a note says where the corrections stop"
expect_status 0 "... while 7 of them leave room for it" "$SEARCHER" -d "$IDX" "${many% *} Azrebaïdjan"

# boolean structure
all=$(ids Pakistan | wc -l); without=$(ids 'Pakistan -Azerbaïdjan' | wc -l)
if [ "$without" -gt 0 ] && [ "$without" -lt "$all" ]; then ok "-word excludes ($without of $all)"; else fail "-word excludes" "$without of $all"; fi
expect_eq "$(ids 'Pakistan NOT Azerbaïdjan')" "$(ids 'Pakistan -Azerbaïdjan')" "a NOT b is a -b"
expect_eq "$(ids '+Pakistan +Chine' | wc -l)" "$(ids 'Pakistan AND Chine' | wc -l)" "+a +b is a AND b"
# a word both required and excluded matches nothing, with a note (-word
# alone excludes by the passage's stem, while +word also matches through
# its truncation and the title: 5 passages were left)
for q in '+Pakistan -Pakistan' '+Pakistan -pakistans' 'Chine +Pakistan -Pakistan'; do
    expect_status 1 "$q: no hit" "$SEARCHER" -d "$IDX" --count -- "$q"
    expect_eq "$(cat "$TMP/out")" 0 "$q: count 0"
    expect_grep '^depeche-search: note: column [0-9]+: Pakistan is both required and excluded: those clauses match nothing$' "$TMP/err" "$q: a note says why"
done
expect_eq "$(comm -3 <(ids '(+Pakistan -Pakistan) OR Chine') <(ids Chine) | wc -l)" 0 "(+a -a) OR b is b"
"$SEARCHER" -d "$IDX" --count '(+Pakistan -Pakistan) OR Chine' >/dev/null 2>"$TMP/err"
expect_grep 'those clauses match nothing$' "$TMP/err" "... and the note says those clauses match nothing, not the query"
both=$(comm -12 <(ids Pakistan) <(ids Chine) | wc -l)
expect_eq "$(ids 'Pakistan AND Chine' | wc -l)" "$both" "AND is the intersection"
expect_eq "$(ids 'Pakistan OR Chine' | wc -l)" "$(sort -u <(ids Pakistan) <(ids Chine) | wc -l)" "OR is the union"
expect_eq "$(ids '(Pakistan OR Chine) AND GNL' | wc -l)" "$(comm -12 <(sort -u <(ids Pakistan) <(ids Chine)) <(ids GNL) | wc -l)" "parentheses group"
n_exact=$(ids '=militaires' | wc -l); n_stem=$(ids 'militaires' | wc -l)
if [ "$n_exact" -gt 0 ] && [ "$n_exact" -lt "$n_stem" ]; then ok "=militaires is narrower than militaires ($n_exact < $n_stem)"; else fail "=militaires is narrower than militaires" "$n_exact vs $n_stem"; fi

# prefixes
expect_status 0 "diplomat*" "$SEARCHER" -d "$IDX" --format jsonl -k 100 'diplomat*'
if python3 -c 'import sys, json, unicodedata
for l in open(sys.argv[1]):
    h = json.loads(l); s = h["snippet"].encode()
    words = [unicodedata.normalize("NFKD", s[a:b].decode()).lower() for a, b in h["highlights"]]
    assert words and all(w.startswith("diplomat") for w in words), words' "$TMP/out"; then
    ok "diplomat* highlights only words starting with diplomat"; else fail "diplomat* highlights only words starting with diplomat"; fi
# the parts of a hyphenated word before a prefix or a fuzzy word stay,
# as a phrase (they had been dropped: libre-éch* was éch*, 12 passages)
expect_eq "$(ids 'libre-éch*')" "$(ids '"libre échange"')" "libre-éch* finds the passages of \"libre échange\""
if [ "$(ids 'éch*' | wc -l)" -gt "$(ids 'libre-éch*' | wc -l)" ]; then ok "libre-éch* is narrower than éch*"; else fail "libre-éch* is narrower than éch*"; fi
expect_eq "$(ids 'JF-1*')" "$(ids 'JF-17')" "JF-1* finds the passages of JF-17"
expect_eq "$(ids 'libre-échang~')" "$(ids 'libre-échange')" "libre-échang~: the phrase too"
expect_eq "$(ids 'zz-éch*' | wc -l)" 0 "a part no passage has: nothing"
"$SEARCHER" -d "$IDX" --format grep --snippet-words 12 'libre-éch*' >"$TMP/out"
expect_grep '\*\*libre\*\*-\*\*échange\*\*' "$TMP/out" "both parts are highlighted"
# a hyphenated word in a title (or heading) finds its passages, as a
# single word does; a quoted phrase stays the passage's text (it had
# found nothing: the phrase was looked for in the text only)
expect_eq "$(ids 'Chine-Azerbaïdjan')" "$(ids 'title:Chine-Azerbaïdjan')" "Chine-Azerbaïdjan finds the passages under that title"
expect_eq "$(ids 'Chine-Azerbaïdjan' | grep -vc '^002_')" 0 "... and no other"
expect_eq "$(ids '"Chine Azerbaïdjan"' | wc -l)" 0 "the quoted phrase, in no passage's text, finds none"
expect_eq "$(ids 'libre-échange')" "$(ids '"libre échange"')" "a hyphenated word in no title: the phrase's passages"

# filters
if [ -n "$(ids 'file:001* Chine')" ] && [ -z "$(ids 'file:001* Chine' | grep -v '^001_')" ]; then ok "file:001* restricts to that file"; else fail "file:001* restricts to that file"; fi
expect_eq "$(ids 'file:001_ea4138b068591137.txt Chine')" "$(ids 'file:001* Chine')" "file: without a glob is a prefix"
# a group of filters only restricts as one filter does (it had added its
# passages at score 0 to those of the word: 61 instead of 23)
expect_eq "$(ids '(file:000* OR file:002*) coopération')" "$(ids '(file:000* OR file:002*) AND coopération')" "a group of filters restricts the word beside it"
expect_eq "$(ids '(file:000* OR file:002*) coopération' | grep -c '^001_')" 0 "... to those files"
expect_eq "$(ids 'coopération (file:001* AND title:Chine)')" "$(ids 'coopération file:001*')" "an AND of filters too"
expect_eq "$("$SEARCHER" -d "$IDX" --format trec -k 5 '(file:000* OR file:002*) coopération' | awk '{print $3, $5}')" "$("$SEARCHER" -d "$IDX" --format trec -k 5 '(file:000* OR file:002*) AND coopération' | awk '{print $3, $5}')" "with the word's own scores"
"$SEARCHER" -d "$IDX" --format jsonl -k 100 'section:"Relations économiques" commerce' >"$TMP/sec"
if [ -s "$TMP/sec" ] && python3 -c 'import sys, json
for l in open(sys.argv[1]): assert json.loads(l)["section"] == "Relations économiques"' "$TMP/sec"; then
    ok "section:\"Relations économiques\" keeps that section only"; else fail "section: filter"; fi
expect_status 1 "a filter matching nothing" "$SEARCHER" -d "$IDX" 'file:nope* Chine'
if [ -n "$(ids 'title:pakistan')" ] && [ -z "$(ids 'title:pakistan' | grep -v "^$F0")" ]; then ok "title: filters by document title"; else fail "title: filters by document title"; fi

# a no-break space (pasted text) separates words as a space does, also for
# operators and in a --lenient reading
nb=$(printf '\302\240')
expect_eq "$(ids "Pakistan${nb}Chine")" "$(ids 'Pakistan Chine')" "Pakistan<NBSP>Chine is Pakistan Chine, not the phrase"
expect_eq "$(ids "Pakistan${nb}AND${nb}GNL")" "$(ids 'Pakistan AND GNL')" "AND between no-break spaces is the operator"
expect_eq "$(ids --lenient "Pakistan${nb}Chine (")" "$(ids --lenient 'Pakistan Chine (')" "--lenient splits at a no-break space too"

# errors and --lenient
expect_status 2 'unbalanced quote exits 2' "$SEARCHER" -d "$IDX" '"unbalanced'
expect_grep '^depeche-search: error: column 1: unbalanced quote$' "$TMP/err" "the error names the column"
expect_status 2 'unbalanced parenthesis' "$SEARCHER" -d "$IDX" 'Chine (Pakistan'
expect_grep 'column 7: unbalanced parenthesis' "$TMP/err" "the column of the opening parenthesis"
expect_status 2 'dangling operator' "$SEARCHER" -d "$IDX" 'Chine AND'
expect_grep 'column 7: AND needs a word after it' "$TMP/err" "a dangling AND is named"
"$SEARCHER" -d "$IDX" --lenient '"unbalanced' >/dev/null 2>&1; st=$?
if [ $st -eq 0 ] || [ $st -eq 1 ]; then ok "--lenient reads it as words (exit $st)"; else fail "--lenient reads it as words" "exit $st"; fi
expect_status 0 "--lenient finds the words" "$SEARCHER" -d "$IDX" --lenient 'Chine (Pakistan'
big=$(python3 -c 'print("(" * 10000 + "a" + ")" * 10000)')
expect_status 2 "10,000 nested parentheses: an error, not a crash" "$SEARCHER" -d "$IDX" "$big"
expect_grep 'nesting deeper than' "$TMP/err" "nesting limit named"
long=$(python3 -c 'print("mot " * 30000)')
expect_status 2 "a 120 KB query is refused" "$SEARCHER" -d "$IDX" "$long"
expect_status 2 "invalid UTF-8" "$SEARCHER" -d "$IDX" "$(printf 'caf\xe9')"
expect_grep 'column 4: invalid UTF-8' "$TMP/err" "invalid UTF-8 is located"

# quotations
expect_status 0 "--quote with accents and quotes differing" "$SEARCHER" -d "$IDX" --quote "les deux nations sont considérées comme des partenaires strategiques"
expect_grep '^exact' "$TMP/out" "labelled exact"
expect_grep "$F0:1 " "$TMP/out" "cites the first passage"
expect_status 0 "--quote in TREC form" "$SEARCHER" -d "$IDX" --format trec --quote "les deux nations sont considérées comme des partenaires strategiques"
expect_eq "$(awk '{print $3}' "$TMP/out" | head -1)" "$F0#1" "cites $F0#1"
expect_status 0 "--quote without accents, other apostrophe" "$SEARCHER" -d "$IDX" --format trec --quote "le Pakistan a ete parmi les premiers pays a reconnaitre l’Azerbaidjan"
expect_eq "$(awk '{print $3}' "$TMP/out" | head -1)" "$F0#2" "cites $F0#2"
expect_grep 'quote: exact' "$TMP/err" "labelled exact (on stderr in machine formats)"
# the apostrophes typed in the place of ’: ‘ (a word processor's), the
# acute and grave accents (typewritten, OCR'd), the fullwidth one
for a in '‘' '´' '`' '＇'; do
    expect_status 0 "--quote with the apostrophe $a" "$SEARCHER" -d "$IDX" --format trec --quote "qu${a}il est possible de produire des armes"
    expect_eq "$(cat "$TMP/err") / $(awk '{print $3}' "$TMP/out")" "depeche-search: quote: exact: 1 passage / $F0#18" "... is exact, in $F0#18"
    expect_eq "$(ids "\"l${a}Azerbaïdjan et le Pakistan\"" | head -1)" "$F0#1" "... and so is a phrase: \"l${a}Azerbaïdjan et le Pakistan\""
done
expect_status 2 "--quote in Latin-1, not UTF-8" "$SEARCHER" -d "$IDX" --quote "$(printf 'la coop\xe9ration militaire')"
expect_grep 'error: column 8: invalid UTF-8' "$TMP/err" "is an error naming the column, not a search for the words left"
expect_status 0 "--quote across two passages" "$SEARCHER" -d "$IDX" --quote "une centaine d'unités militaires azerbaïdjanaises. L'Azerbaïdjan est en pourparlers avec le Pakistan"
expect_grep "^exact: the quotation runs from $F0#21 into $F0#22" "$TMP/out" "a quotation spanning two passages is found"
# The passage it runs into is part of the same answer: second, with the
# score of the passage it starts in (not 0), in every format
expect_eq "$(grep -Eo '\(score [0-9.]+\)' "$TMP/out" | uniq -c | sed 's/^ *//')" "2 $(grep -Eo '\(score [0-9.]+\)' "$TMP/out" | head -1)" "... both passages with the first one's score"
expect_no_grep '\(score 0\.00\)' "$TMP/out" "... none with score 0"
expect_status 0 "--quote across two passages, in trec" "$SEARCHER" -d "$IDX" --format trec --quote "prospérité partagée. 13. Les Parties réaffirment"
expect_eq "$(awk '{print $3, $4, $5}' "$TMP/out" | tr '\n' ' ')" "$(awk 'NR == 1 {s = $5} END {print "'"$F1"'#35 1 " s " '"$F1"'#36 2 " s " "}' "$TMP/out")" "... ranks 1 and 2, the same score"
expect_eq "$(awk '$5 + 0 > 0' "$TMP/out" | wc -l)" 2 "... greater than 0"
for fmt in jsonl tsv; do
    "$SEARCHER" -d "$IDX" --format $fmt --quote "prospérité partagée. 13. Les Parties réaffirment" 2>/dev/null >"$TMP/span.$fmt"
done
expect_eq "$(python3 -c 'import sys, json; print(" ".join("%d %.6f" % (h["rank"], h["score"]) for h in map(json.loads, open(sys.argv[1]))))' "$TMP/span.jsonl")" "$(awk '{printf "%s%d %s", (NR > 1 ? " " : ""), $4, $5}' "$TMP/out")" "... jsonl says the same"
expect_eq "$(awk -F '\t' 'NR > 1 {printf "%s%d %s", (NR > 2 ? " " : ""), $2, $3}' "$TMP/span.tsv")" "$(awk '{printf "%s%d %s", (NR > 1 ? " " : ""), $4, $5}' "$TMP/out")" "... and tsv"
expect_status 0 "--quote, approximate" "$SEARCHER" -d "$IDX" --quote "les deux nations sont des partenaires très stratégiques depuis toujours"
expect_grep '^approximate: [0-9]+ of the [0-9]+ words in order' "$TMP/out" "an altered quotation is labelled approximate"
expect_grep "$F0:1 " "$TMP/out" "and still finds its passage"
# hl_words FILE: the highlighted words of each jsonl hit, one line per hit
hl_words() {
    python3 -c 'import sys, json
for l in open(sys.argv[1]):
    h = json.loads(l); s = h["snippet"].encode()
    print(" ".join(s[a:b].decode() for a, b in h["highlights"]))' "$1"
}
# A quotation leaves out the text's footnote calls ("Islamabad[1]. Les")
# and marks an omission with an ellipsis: still exact, all its words shown
expect_status 0 "--quote over a footnote call" "$SEARCHER" -d "$IDX" --format jsonl --quote "une ambassade à Islamabad. Les deux nations sont considérées"
expect_eq "$(cat "$TMP/err") / $(python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["id"])' <"$TMP/out") / $(hl_words "$TMP/out")" "depeche-search: quote: exact: 1 passage / $F0#1 / une ambassade à Islamabad Les deux nations sont considérées" "... is exact, in $F0#1, its words highlighted"
for e in '[…]' '...' '(…)' '…'; do
    expect_status 0 "--quote with an ellipsis $e" "$SEARCHER" -d "$IDX" --format trec --quote "L'accord sur la défense $e a été conclu en 2002"
    expect_eq "$(cat "$TMP/err") / $(awk '{print $3}' "$TMP/out")" "depeche-search: quote: exact: 1 passage / $F0#4" "... is exact, in $F0#4"
done
expect_status 0 "--quote with an ellipsis, words out of order" "$SEARCHER" -d "$IDX" --format trec --quote "a été conclu en 2002 […] L'accord sur la défense"
expect_grep '^depeche-search: quote: approximate' "$TMP/err" "... is approximate"
expect_status 0 "--quote with an ellipsis, a word misquoted" "$SEARCHER" -d "$IDX" --format trec --quote "L'accord sur la défense […] a été conclu en 2003"
expect_grep '^depeche-search: quote: approximate: 8 of the 9' "$TMP/err" "... is approximate"
# An approximate quotation highlights the words its label counts, where
# the passage has them together (the passage's "Les" of "Les deux
# nations", not an earlier "les").
expect_status 0 "--quote, approximate, in jsonl" "$SEARCHER" -d "$IDX" --format jsonl --quote "les deux nations sont considérées comme des partenaires très stratégiques"
expect_grep '^depeche-search: quote: approximate: 9 of the 10 words in order' "$TMP/err" "9 of its 10 words are found in order"
expect_eq "$(hl_words "$TMP/out")" "Les deux nations sont considérées comme des partenaires stratégiques" "those 9 words are highlighted"
# A misquoted number or gender (the commonest misquotation) still finds
# the source: a word counts in another form (same stem), less than the
# same word, and the label says how many
expect_status 0 "--quote with words in another form" "$SEARCHER" -d "$IDX" --format jsonl --quote "les pays ont signé des accords de coopération militaires mutuelles"
expect_eq "$(python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["id"])' <"$TMP/out")" "$F0#20" "... finds the passage that says 'un accord de coopération militaire mutuelle'"
expect_grep '^depeche-search: quote: approximate: 9 of the 10 words in order \(90%\), 3 in another form$' "$TMP/err" "... 9 of 10 words, 3 of them in another form"
expect_eq "$(hl_words "$TMP/out")" "les pays ont signé accord de coopération militaire mutuelle" "... and highlights those 9"
expect_status 0 "--quote, a short misquotation" "$SEARCHER" -d "$IDX" --format trec --quote "accord de coopération militaires mutuelles"
expect_eq "$(awk '{print $3}' "$TMP/out")" "$F0#20" "... finds it too"
# ... and its snippet shows every word the label counts, however far apart
mkdir -p "$TMP/qw"
python3 -c "print('Au début de la séance ' + ' '.join('mot%d' % i for i in range(60)) + ' le président déclare ouverte la session extraordinaire.')" >"$TMP/qw/a.txt"
"$INDEXER" -q -d "$TMP/qwidx" "$TMP/qw" || fail "index the long passage"
expect_status 0 "--quote, approximate, words far apart" "$SEARCHER" -d "$TMP/qwidx" --format jsonl --quote "Au début de la séance le président déclare ouverte la session"
expect_grep '^depeche-search: quote: approximate: 11 of the 11 words in order \(100%\), with other words between$' "$TMP/err" "... 11 words counted, and said to be apart"
expect_eq "$(hl_words "$TMP/out")" "Au début de la séance le président déclare ouverte la session" "... and the 11 shown and highlighted"
# ... within a stretch of at most twice its length and 60 words: in a long
# passage its words are not gathered from everywhere (QA: 12 of 15 words
# over 3,200, the whole passage as the snippet)
python3 -c "print('La fraude est grave. ' + ' '.join('mot%d' % i for i in range(150)) + ' Les institutions européennes doivent agir contre elle.')" >"$TMP/qw/b.txt"
"$INDEXER" -q -d "$TMP/qwidx" "$TMP/qw" || fail "index the longer passage"
expect_status 0 "--quote, approximate, words too far apart" "$SEARCHER" -d "$TMP/qwidx" --format jsonl --quote "la fraude dans les institutions européennes"
expect_grep '^depeche-search: quote: approximate: 3 of the 6 words in order \(50%\)$' "$TMP/err" "... counts the words of one stretch only"
expect_eq "$(hl_words "$TMP/out")" "Les institutions européennes" "... and highlights those"
expect_eq "$(python3 -c 'import sys, json; print(len(json.loads(sys.stdin.readline())["snippet"].split()) <= 6 * 2 + 60 + 10 + 2)' <"$TMP/out")" "True" "... in a snippet of at most that stretch and 10 words"
# the very form quoted is preferred to another ("accord", not "accords"),
# and a misquotation typed without accents is found as with them
mkdir -p "$TMP/qf"
printf 'Les accords de paix sont anciens, et un accord de paix nouveau est signé.\n\nLa commission a été créée par les ministres européens hier soir.\n' >"$TMP/qf/a.txt"
"$INDEXER" -q -d "$TMP/qfidx" "$TMP/qf" || fail "index the quotation forms"
expect_status 0 "--quote, the form quoted first" "$SEARCHER" -d "$TMP/qfidx" --format jsonl --quote "accord de paix hier"
expect_eq "$(cat "$TMP/err") / $(hl_words "$TMP/out")" "depeche-search: quote: approximate: 3 of the 4 words in order (75%) / accord de paix" "... 'accord de paix', not 'accords de paix'"
expect_status 0 "--quote, another form without accents" "$SEARCHER" -d "$TMP/qfidx" --format jsonl --quote "la commission a ete creees par les ministres europeens hier"
expect_grep '^depeche-search: quote: approximate: 10 of the 10 words in order \(100%\), 1 in another form$' "$TMP/err" "... 'creees' for 'créée' counts as another form"
# An exact phrase highlights its words where the phrase stands, not every
# "les" of the passage (grep's COL then points at the phrase); other words
# of the query wherever they are.
expect_status 0 "a phrase with a stop word, in jsonl" "$SEARCHER" -d "$IDX" --format jsonl -k 3 '"les deux nations"'
expect_eq "$(hl_words "$TMP/out" | tr 'L' 'l' | sed 's/\(les deux nations\)\( \|$\)//g' | tr -d '\n')" "" "only whole occurrences of the phrase are highlighted"
expect_eq "$(hl_words "$TMP/out" | head -1)" "les deux nations les deux nations" "the first passage's two occurrences"
expect_status 0 "a phrase and a word" "$SEARCHER" -d "$IDX" --format jsonl -k 1 --offset 1 '"coopération militaire" Pakistan'
expect_eq "$(hl_words "$TMP/out")" "Pakistan coopération militaire Pakistan" "the phrase where it stands ('l'industrie militaire' stays plain), the word everywhere"
# NEAR, as an exact phrase: the window holds the words where they stand
# within the distance, grep's COL points there ('l'industrie militaire',
# eight words before, stays plain)
expect_status 0 "NEAR/1 in grep" "$SEARCHER" -d "$IDX" --format grep --snippet-words 10 --offset 1 -k 1 'coopération NEAR/1 militaire'
expect_grep "^$F0:21:176: … concerne les questions de \*\*coopération\*\* \*\*militaire\*\* entre " "$TMP/out" "... at the pair, column 176 as for the phrase"
expect_status 0 "NEAR in jsonl" "$SEARCHER" -d "$IDX" --format jsonl -k 1 --offset 1 'militaire NEAR/1 coopération Pakistan'
expect_eq "$(hl_words "$TMP/out")" "Pakistan coopération militaire Pakistan" "the NEAR words where they stand together, the free word everywhere"
expect_status 0 "--quote across two passages, in jsonl" "$SEARCHER" -d "$IDX" --format jsonl --quote "une centaine d'unités militaires azerbaïdjanaises. L'Azerbaïdjan est en pourparlers avec le Pakistan"
expect_eq "$(hl_words "$TMP/out")" "une centaine unités militaires azerbaïdjanaises
Azerbaïdjan est en pourparlers avec le Pakistan" "each passage highlights its part of the quotation"

# suggestions
expect_status 1 "a misspelt name finds nothing" "$SEARCHER" -d "$IDX" Moucharaf
expect_grep '^Essayez : mucharraf$' "$TMP/err" "Essayez : suggests the indexed spelling"
expect_status 0 "a known word" "$SEARCHER" -d "$IDX" Pakistan
expect_no_grep 'Essayez' "$TMP/err" "no suggestion for a query that matches"
expect_status 0 "a Roman ordinal (XXIXe: the 29e session)" "$SEARCHER" -d "$IDX" XXIXe
expect_no_grep 'Essayez' "$TMP/err" "is not 'corrected' into another century (xiiie)"
expect_status 1 "XLe (no ordinal: Roman numerals stop at XXXIX) finds nothing" "$SEARCHER" -d "$IDX" XLe
expect_no_grep 'Essayez' "$TMP/err" "and a stop word (le) is not suggested for it"
# A phrase and an =exact word have no prefix*: the '*' is punctuation
# there, and a note says so instead of finding nothing silently.
expect_status 1 '"pakist*" finds nothing' "$SEARCHER" -d "$IDX" '"pakist*"'
expect_grep '^depeche-search: note: column 1: a "phrase" has no prefix\*: searched the word "pakist"$' "$TMP/err" "a note says the phrase has no prefix"
expect_status 1 '=pakist** finds nothing' "$SEARCHER" -d "$IDX" '=pakist**'
expect_grep '^depeche-search: note: column 1: an =exact word has no prefix\*: searched the word "pakist"$' "$TMP/err" "a note says an exact word has no prefix"
expect_status 0 'pakist* outside quotes' "$SEARCHER" -d "$IDX" 'pakist*'
expect_no_grep 'prefix' "$TMP/err" "is a prefix, without a note"
# A '*' inside a word is an error in a phrase as outside one ('"Pak*stan"'
# had searched the phrase "pak stan", silently); filter values are left
# as typed.
expect_status 2 '"Pak*stan" is an error' "$SEARCHER" -d "$IDX" '"Pak*stan"'
expect_grep '^depeche-search: error: column 5: \* only at the end of a word \(prefix\*\)$' "$TMP/err" "at the column of the * inside the phrase's word"
expect_status 2 'a * inside the second word of a phrase' "$SEARCHER" -d "$IDX" 'Chine «relations Pak*stan»'
expect_grep '^depeche-search: error: column 21: \* only at the end of a word' "$TMP/err" "at its column"
expect_status 0 'file:0*_* is a glob' "$SEARCHER" -d "$IDX" --count 'file:0*_*'
expect_status 1 '"pakist* Bakou" (a * ending a word of a phrase)' "$SEARCHER" -d "$IDX" '"pakist* Bakou"'
expect_grep '^depeche-search: note: column 1: a "phrase" has no prefix\*' "$TMP/err" "is still punctuation, with its note"
# An =exact word has no spelling variants: "=pakistan~1" was read as the
# phrase "pakistan 1" and found nothing, silently; it is an error at the ~.
expect_status 2 "=pakistan~1 is an error" "$SEARCHER" -d "$IDX" '=pakistan~1'
expect_grep '^depeche-search: error: column 10: an =exact word takes no ~ \(write =word or word~N\)$' "$TMP/err" "naming the column of the ~"
expect_status 2 "=pakistan~ too" "$SEARCHER" -d "$IDX" 'Chine =pakistan~'
expect_grep '^depeche-search: error: column 16: an =exact word takes no ~' "$TMP/err" "at its column"
# An error about a group in parentheses names its "(", not its first word.
expect_status 2 "NEAR of a group in parentheses" "$SEARCHER" -d "$IDX" 'Chine NEAR (Pakistan OR Inde)'
expect_grep '^depeche-search: error: column 12: NEAR joins words or "phrases"' "$TMP/err" "at the column of its parenthesis"
# A suggestion is a query that parses without --lenient and finds
# something: a prefix typed in a phrase is not "corrected" into a word
# ('"cooperasion milit*"' had made "cooperation cifit*"), and a query
# that parses only as --lenient's plain words gets none ("section:" had
# made "Essayez : action:", 'title:"' 'ville:"', unbalanced).
expect_status 1 "a prefix typed in a phrase" "$SEARCHER" -d "$IDX" '"cooperasion milit*"'
expect_no_grep 'Essayez' "$TMP/err" "is not corrected into another word (cifit)"
expect_status 1 "=pakist* (an exact word: the * is no prefix)" "$SEARCHER" -d "$IDX" '=pakist*'
expect_no_grep 'Essayez' "$TMP/err" "is not corrected into =pakistan*"
expect_status 1 "a misspelt phrase" "$SEARCHER" -d "$IDX" '"cooperasion militaire"'
expect_grep '^Essayez : "cooperation militaire"$' "$TMP/err" "still gets its suggestion"
for q in 'section:' 'section:~' 'title:"' 'section:"cooperasion' 'section:cooperasion~' 'cooperasion~3' 'Moucharaf (' 'Moucharaf NEAR zzzq*'; do
    expect_status 1 "--lenient '$q' finds nothing" "$SEARCHER" -d "$IDX" --lenient -- "$q"
    expect_no_grep 'Essayez' "$TMP/err" "and gets no suggestion, which would not parse or search"
done
expect_status 1 "action:cooperasion (the phrase 'action cooperasion')" "$SEARCHER" -d "$IDX" 'action:cooperasion'
expect_no_grep 'Essayez' "$TMP/err" "gets no suggestion that finds nothing either"

# explain: the listed shares add up to the score (a one-word query has no
# proximity bonus, so its terms alone must give the score)
expect_status 0 "--explain, one word" "$SEARCHER" -d "$IDX" --format jsonl --explain "militaires"
if python3 -c 'import sys, json
n = 0
for l in open(sys.argv[1]):
    h = json.loads(l); e = h["explain"]; n += 1
    assert e["other"] == 0, e
    assert abs(sum(t["bm25"] for t in e["terms"]) - h["score"]) < 1e-3, (e, h["score"])
    assert e["terms"] and all(t["df"] > 0 for t in e["terms"])
assert n > 1' "$TMP/out"; then
    ok "--explain: the terms' BM25 shares add up to each score"; else fail "--explain: the terms' BM25 shares add up to each score" "$(head -c 600 "$TMP/out")"; fi
expect_status 0 "--explain, two words" "$SEARCHER" -d "$IDX" --format jsonl --explain "coopération militaire"
if python3 -c 'import sys, json
for l in open(sys.argv[1]):
    h = json.loads(l); e = h["explain"]
    assert e["other"] >= 0
    assert abs(sum(t["bm25"] for t in e["terms"]) + e["other"] + e["neighbours"] - h["score"]) < 1e-3, (e, h["score"])' "$TMP/out"; then
    ok "--explain: terms plus the proximity bonus give the score"; else fail "--explain: terms plus the proximity bonus give the score" "$(head -c 600 "$TMP/out")"; fi
# A title or section word weighs 0.3 of the same word in the passage: its
# share is BM25 at tf 1 with the lower of its two idfs, in the passages
# and among the titles and headings (the first is lower for cooper, which
# 36 passages and 13 titles/sections hold; the second for pakistan).
expect_status 0 "--explain, title and section words" "$SEARCHER" -d "$IDX" --format jsonl --explain -k 20 "coopération militaire Pakistan"
# A subject word (at least half the passages that hold it have it in their
# title or heading: militaire, 5 of 6 under "Coopération militaire";
# Pakistan, in the title of 000) weighs 1 there and 0.7 in the text.
if python3 -c 'import sys, json
k1, b, n, lower, subjects = 0.82, 0.68, 0, set(), set()
def tfpart(tf, norm):
    return tf * (k1 + 1) / (k1 * ((1 - b) + b * norm) + tf)
for l in open(sys.argv[1]):
    h = json.loads(l); e = h["explain"]
    idf = {t["term"]: t["idf"] for t in e["terms"]}
    df = {t["term"]: t["df"] for t in e["terms"]}
    norm = max(0.5, e["length"] / e["average_length"])
    for t in e["terms"]:
        if not t["term"].startswith("title/section ~") or t["tf"] != 1:
            continue
        stem = t["term"][len("title/section "):]
        subject = df[t["term"]] >= 0.5 * df[stem]
        want = (1 if subject else 0.3) * min(t["idf"], idf[stem]) * tfpart(1, norm)
        assert abs(t["bm25"] - want) < 2e-3, (t, idf[stem], want)
        n += 1
        if idf[stem] < t["idf"]:
            lower.add(stem)
        if subject:
            subjects.add(stem)
    for t in e["terms"]:
        if t["term"] == "~militair" and t["tf"] > 0:
            want = 0.7 * t["idf"] * tfpart(t["tf"], norm)
            assert abs(t["bm25"] - want) < 2e-3, (t, want)
assert n >= 20 and lower == {"~cooper", "~militair"}, (n, lower)
assert subjects == {"~militair", "~pakistan"}, subjects' "$TMP/out"; then
    ok "--explain: a title/section word weighs 0.3 of the word in the passage (a subject word 1, and 0.7 in the text), with the lower idf"; else fail "--explain: a title/section word weighs 0.3 of the word in the passage (a subject word 1, and 0.7 in the text)" "$(python3 -c 'import sys,json; print(json.loads(open(sys.argv[1]).readline())["explain"])' "$TMP/out" | head -c 900)"; fi
"$SEARCHER" -d "$IDX" --format jsonl --explain -k 20 "coopération militaire Pakistan" --subject 1,0.3 >"$TMP/subj_off"
if python3 -c 'import sys, json
for l in open(sys.argv[1]):
    e = json.loads(l)["explain"]
    idf = {t["term"]: t["idf"] for t in e["terms"]}
    for t in e["terms"]:
        if t["term"].startswith("title/section ~") and t["tf"] == 1:
            stem = t["term"][len("title/section "):]
            norm = max(0.5, e["length"] / e["average_length"])
            want = 0.3 * min(t["idf"], idf[stem]) * 1.82 / (0.82 * (0.32 + 0.68 * norm) + 1)
            assert abs(t["bm25"] - want) < 2e-3, (t, want)' "$TMP/subj_off"; then
    ok "--subject 1,0.3: every title/section word weighs 0.3"; else fail "--subject 1,0.3: every title/section word weighs 0.3"; fi
expect_status 2 "--subject needs TEXT,CONTEXT" "$SEARCHER" -d "$IDX" --subject 0.7 Pakistan
expect_grep '^depeche-search: error: --subject: expected TEXT,CONTEXT, e.g. 0.7,1$' "$TMP/err" "... and says so"
expect_status 0 "--explain in text" "$SEARCHER" -d "$IDX" --explain -k 1 "coopération militaire"
expect_grep '^     ~militair  tf [0-9]+  df [0-9]+  idf [0-9.]+  bm25 [0-9.]+$' "$TMP/out" "text explanation lists each stem"
expect_grep '^   explain: document length [0-9]+ \(average [0-9.]+\)' "$TMP/out" "and the passage length against the average"

# The exact form of a query word is a bonus over its stem: two passages
# of the same length, one writing "négociation", the other
# "négociations"; each form puts its own passage first, and without the
# bonus (--exact-weight 0) the two tie and come in passage order.
E=$TMP/exact
mkdir -p "$E/c"
printf 'La négociation a repris hier à Genève.\n\nLes négociations ont repris hier à Genève.\n' >"$E/c/geneve.txt"
"$INDEXER" -q -d "$E/idx" "$E/c" || fail "index the two forms"
first() { "$SEARCHER" -d "$E/idx" --format trec "$@" | awk '$4 == 1 {print $3}'; }
expect_eq "$(first 'négociations')" "geneve.txt#2" "négociations: the passage with that form first"
expect_eq "$(first 'NEGOCIATION')" "geneve.txt#1" "NEGOCIATION: the passage with that form first (accents and case aside)"
expect_eq "$("$SEARCHER" -d "$E/idx" --format trec --exact-weight 0 'négociations' | awk '{print $5}' | uniq | wc -l)" 1 "--exact-weight 0: both score the same"
expect_eq "$(first --exact-weight 0 'négociations')" "geneve.txt#1" "... and come in passage order"
expect_status 0 "--explain lists the exact form" "$SEARCHER" -d "$E/idx" --format jsonl --explain -k 1 'négociations'
if python3 -c 'import sys, json
h = json.loads(open(sys.argv[1]).readline()); e = h["explain"]
terms = {t["term"]: t for t in e["terms"]}
assert "negociations" in terms and terms["negociations"]["bm25"] > 0, terms
assert abs(sum(t["bm25"] for t in e["terms"]) + e["other"] + e["neighbours"] - h["score"]) < 1e-3, e' "$TMP/out"; then
    ok "... with its share of the score"; else fail "... with its share of the score" "$(head -c 600 "$TMP/out")"; fi

# Neighbours: a query of two words or more ranks a passage by the
# passages before and after it.  Passage 2 holds neither word; it comes
# after passage 1 with a tenth of its score, says so in text, has no
# highlight, and the explanation gives that share.  One word, or
# --neighbour-weight 0, lists only the passage that holds the words;
# --count counts only it.
N=$TMP/neighbours
mkdir -p "$N/c"
printf "L'accord sur le gazoduc transadriatique a été signé à Bakou.\n\nIl entrera en vigueur l'an prochain, après ratification.\n\nLa saison des pluies commence en mai.\n" >"$N/c/accord.txt"
"$INDEXER" -q -d "$N/idx" "$N/c" || fail "index the neighbours"
nb_ids() { "$SEARCHER" -d "$N/idx" --format trec "$@" | awk '{print $3}' | tr '\n' ' '; }
expect_eq "$(nb_ids 'gazoduc transadriatique')" "accord.txt#1 accord.txt#2 " "two words: the passage after the match is a hit too"
expect_eq "$(nb_ids --neighbour-weight 0 'gazoduc transadriatique')" "accord.txt#1 " "--neighbour-weight 0: only the passage holding the words"
expect_eq "$(nb_ids 'gazoduc')" "accord.txt#1 " "one word: only the passage holding it"
expect_eq "$("$SEARCHER" -d "$N/idx" --count 'gazoduc transadriatique')" "1" "--count counts the passages holding the words"
expect_status 0 "the neighbour in jsonl, explained" "$SEARCHER" -d "$N/idx" --format jsonl --explain 'gazoduc transadriatique'
if python3 -c 'import sys, json
h = [json.loads(l) for l in open(sys.argv[1])]
assert [x["id"] for x in h] == ["accord.txt#1", "accord.txt#2"], h
first, nb = h
assert first["explain"]["neighbours"] == 0 and nb["explain"]["sum"] == 0, h
assert abs(nb["score"] - first["score"] / 10) < 1e-5, (nb["score"], first["score"])
assert abs(nb["explain"]["neighbours"] - nb["score"]) < 1e-5, nb
assert nb["highlights"] == [] and first["highlights"] != [], h' "$TMP/out"; then
    ok "... a tenth of the score of the passage before, no highlight"; else fail "... a tenth of the score of the passage before, no highlight" "$(head -c 800 "$TMP/out")"; fi
expect_status 0 "the neighbour in text" "$SEARCHER" -d "$N/idx" 'gazoduc transadriatique'
expect_grep '^   accord\.txt:3  \(score [0-9.]+, from the passages before and after\)$' "$TMP/out" "text says where its score comes from"
expect_eq "$(nb_ids -k 1 --offset 1 'gazoduc transadriatique')" "accord.txt#2 " "--offset 1 gives the same second hit"

# A passage that holds a phrase's words apart: --explain lists them,
# the score does not count them, and a negative line says so.
P=$TMP/apart
mkdir -p "$P/c"
printf "Le commerce est libre, et l'échange aussi.\n" >"$P/c/apart.txt"
"$INDEXER" -q -d "$P/idx" "$P/c" || fail "index the words apart"
expect_status 0 "--explain, a hyphenated word whose parts stand apart" "$SEARCHER" -d "$P/idx" --format jsonl --explain 'libre-échange commerce'
if python3 -c 'import sys, json
h = json.loads(open(sys.argv[1]).readline()); e = h["explain"]
terms = {t["term"]: t for t in e["terms"]}
assert terms["libre"]["tf"] == 1 and terms["echange"]["tf"] == 1, terms
assert e["other"] < 0, e
assert abs(sum(t["bm25"] for t in e["terms"]) + e["other"] + e["neighbours"] - h["score"]) < 1e-3, e' "$TMP/out"; then
    ok "... the explanation still adds up, with a negative share"; else fail "... the explanation still adds up, with a negative share" "$(head -c 600 "$TMP/out")"; fi
expect_status 0 "the same in text" "$SEARCHER" -d "$P/idx" --explain 'libre-échange commerce'
expect_grep '^     phrase words not in their phrase  -[0-9.]+$' "$TMP/out" "text names the negative share"

# Singular and plural that Snowball leaves apart (a final s after a vowel,
# a final x after "eu", "ou"): each finds the other, highlighted, and an
# excluded word excludes both; "foi" and "fois" stay apart.
expect_status 0 "loi finds the passage that says lois" "$SEARCHER" -d "$IDX" --format jsonl loi
expect_eq "$(python3 -c 'import sys, json
for l in open(sys.argv[1]):
    h = json.loads(l); b = h["snippet"].encode()
    print(h["id"], [b[s:e].decode() for s, e in h["highlights"]])' "$TMP/out")" "$F1#29 ['lois']" "one hit, lois highlighted"
expect_no_grep 'Essayez' "$TMP/err" "and no suggestion to type lois"
expect_status 1 "=loi (this form only) does not find lois" "$SEARCHER" -d "$IDX" =loi
expect_grep '^Essayez : =lois$' "$TMP/err" "so it suggests the form the index holds"
# the man page's example of an exact word's suggestion
expect_status 1 "=ambasade finds nothing" "$SEARCHER" -d "$IDX" =ambasade
expect_eq "$(cat "$TMP/err")" "Essayez : =ambassade" "... and suggests =ambassade, as depeche-search(1) shows"
expect_eq "$(ids jeu)" "$(ids jeux)" "jeu and jeux find the same passages"
expect_eq "$(ids jeu | wc -l)" "1" "(one)"
expect_eq "$("$SEARCHER" -d "$IDX" --count 'coopération -loi')" "$(( $("$SEARCHER" -d "$IDX" --count coopération) - 1 ))" "-loi excludes the passage that says lois"
N=$TMP/number
mkdir -p "$N/c"
printf 'La bonne foi des parties.\n\nUne fois de plus, rien.\n\nLe prix est de dix euros.\n\nLes élus du conseil.\n' >"$N/c/nombre.txt"
"$INDEXER" -q -d "$N/idx" "$N/c" || fail "index the number fixture"
expect_eq "$("$SEARCHER" -d "$N/idx" --format trec foi | awk '{print $3}')" "nombre.txt#1" "foi does not find fois"
expect_eq "$("$SEARCHER" -d "$N/idx" --format trec fois | awk '{print $3}')" "nombre.txt#2" "fois does not find foi"
expect_eq "$("$SEARCHER" -d "$N/idx" --format trec euro 2>"$TMP/err" | awk '{print $3}')" "nombre.txt#3" "euro finds euros"
expect_no_grep 'also searched' "$TMP/err" "as a word it knows, not as a spelling correction"
expect_eq "$("$SEARCHER" -d "$N/idx" --format trec elu | awk '{print $3}')" "nombre.txt#4" "elu finds élus"
# after "eu", "ou", "au" the plural takes an x (jeux, noyaux) or an s:
# bleu finds bleus, trou trous, -noyau excludes noyaux; peu (little) and
# peux (can) stay apart (all fail on the build before)
printf 'Le ciel bleu.\n\nLes casques bleus.\n\nUn trou dans le mur.\n\nDeux trous au mur.\n\nLes noyaux des cellules.\n\nUne cellule vide.\n\nJe ne peux pas.\n\nUn peu de pluie.\n' >"$N/c/nombre2.txt"
"$INDEXER" -q -d "$N/idx" "$N/c" || fail "index the second number fixture"
nids() { "$SEARCHER" -d "$N/idx" --format trec -- "$@" | awk '{print $3}' | sort | tr '\n' ' '; }
expect_eq "$(nids bleu)" "nombre2.txt#1 nombre2.txt#2 " "bleu finds bleus"
expect_eq "$(nids trou)" "nombre2.txt#3 nombre2.txt#4 " "trou finds trous"
expect_eq "$(nids 'cellule -noyau')" "nombre2.txt#6 " "-noyau excludes noyaux"
expect_eq "$(nids peu)" "nombre2.txt#8 " "peu does not find peux"
expect_eq "$(nids peux)" "nombre2.txt#7 " "peux does not find peu"

# A fenced code block of a Markdown file is one passage: its "# comment"
# is no heading (it had been a section, and split the block).
printf '# Notes\n\nIntro.\n\n```sh\n# installer\nmake\n```\n\n## Suite\n\nTexte.\n' >"$N/c/notes.md"
"$INDEXER" -q -d "$N/idx" "$N/c" || fail "index the Markdown fixture"
expect_eq "$("$SEARCHER" -d "$N/idx" --format trec installer | awk '{print $3}')" "notes.md#2" "the code block is passage 2"
expect_eq "$("$SEARCHER" -d "$N/idx" --format jsonl make | python3 -c 'import sys, json; h = json.loads(sys.stdin.readline()); print(h["line"], h["section"])')" "5 Notes" "from its fence (line 5), in the section of the heading above it"
expect_eq "$("$SEARCHER" -d "$N/idx" --count 'section:installer')" "0" "and no section named after its comment"

# Words of scripts the build-time fold table leaves to ICU's
# transliterator (Armenian, Georgian), which libicui18n gives; the shipped
# depeche-search links libicuuc statically and opens libicui18n (with its
# own libicuuc) when it first needs it: both must fold the same way.
S=$TMP/scripts
mkdir -p "$S/c"
printf 'Le mot arménien Հայերեն figure ici.\n\nLe géorgien ქართული est écrit là.\n' >"$S/c/langues.txt"
"$INDEXER" -q -d "$S/idx" "$S/c" || fail "index the Armenian and Georgian words"
expect_status 0 "an Armenian query word" "$SEARCHER" -d "$S/idx" --format jsonl 'Հայերեն'
expect_grep '"line":1,.*"highlights":\[\[17,31\]\]' "$TMP/out" "finds its passage and marks the word's bytes"
expect_status 0 "the same word in Armenian capitals" "$SEARCHER" -d "$S/idx" --format trec 'ՀԱՅԵՐԵՆ'
expect_grep '^1 Q0 langues\.txt#1 1 ' "$TMP/out" "finds it too (ICU lowercases it)"
expect_status 0 "a Georgian query word" "$SEARCHER" -d "$S/idx" --format trec 'ქართული'
expect_grep '^1 Q0 langues\.txt#2 1 ' "$TMP/out" "finds the second passage"

# expect_elided_note COL WORD WHAT DESC: the note that the elided WORD
# (jusqu, Lorsqu) at column COL is not indexed, and WHAT was searched
expect_elided_note() {
    expect_grep "^depeche-search: note: column $1: the index holds no elided word \\($2'\\): searched $3\$" "$TMP/err" "$4"
}
# "jusqu'à" alone: the texts are indexed without their elided words, so
# the query is the stop word "a" (every "a" and "à"); a note says so.
expect_status 0 "jusqu'à alone" "$SEARCHER" -d "$IDX" --count "jusqu'à"
expect_elided_note 1 "jusqu" "\"a\", a stop word" "a note says jusqu' is not indexed and a is searched"
expect_status 0 "Lorsqu’il (U+2019) in parentheses" "$SEARCHER" -d "$IDX" --count "(de Lorsqu’il)"
expect_elided_note 5 "Lorsqu" "\"il\", a stop word" "at the elided word's column"
# ... whichever apostrophe elides it (the analyzer's: ‘ ＇ ´ ` too)
for a in '‘' '＇' '´' '`'; do
    expect_status 0 "jusqu${a}à alone" "$SEARCHER" -d "$IDX" --count "jusqu${a}à"
    expect_elided_note 1 "jusqu" "\"a\", a stop word" "... gets the note too"
    expect_status 1 "jusqu${a} alone" "$SEARCHER" -d "$IDX" "jusqu${a}"
    expect_elided_note 1 "jusqu" "the word \"jusqu\"" "... and so does the elided word alone"
done
expect_status 0 "jusqu'à with a content word" "$SEARCHER" -d "$IDX" --count "jusqu'à Bakou"
expect_no_grep 'elided' "$TMP/err" "no note: the stop word is dropped as any other"
expect_status 0 "l'Azerbaïdjan" "$SEARCHER" -d "$IDX" --count "l'Azerbaïdjan"
expect_no_grep 'elided' "$TMP/err" "no note for an elided article before a content word"
# The phrase and the =exact forms search the stop word too: the same note,
# at the elided word's column; and an elided word alone ("jusqu'")
# searches itself, in no passage: a note says why nothing is found.
expect_status 0 "\"jusqu'à\"" "$SEARCHER" -d "$IDX" --count "\"jusqu'à\""
expect_elided_note 2 "jusqu" "\"a\", a stop word" "a phrase gets the note"
expect_status 0 "=jusqu’à" "$SEARCHER" -d "$IDX" --count "Chine OR =jusqu’à"
expect_elided_note 11 "jusqu" "\"a\", a stop word" "an =exact word gets the note"
expect_status 0 "\"jusqu'à Bakou\"" "$SEARCHER" -d "$IDX" --count "\"jusqu'à Bakou\""
expect_no_grep 'elided' "$TMP/err" "no note for a phrase with a content word"
expect_status 1 "jusqu' alone finds nothing" "$SEARCHER" -d "$IDX" "jusqu'"
expect_elided_note 1 "jusqu" "the word \"jusqu\"" "a note says why"
expect_status 1 "\"jusqu'\" finds nothing" "$SEARCHER" -d "$IDX" "\"jusqu'\""
expect_elided_note 2 "jusqu" "the word \"jusqu\"" "a note says why, in a phrase too"
expect_status 1 "aujourd' (no elided word)" "$SEARCHER" -d "$IDX" "aujourd'"
expect_no_grep 'elided' "$TMP/err" "gets no note"
finish
