#!/usr/bin/env bash
# e2e_docs.sh -- the examples of README.md and docs/query-language.md, run
# on the bundled corpus, print what the documents say they print
# (tests/e2e/doc_examples.py; `doc_examples.py --update DOC ...` rewrites a
# document's examples after a deliberate change of output).
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
"$INDEXER" -q -d "$IDX" "$SRC/corpus" || { fail "index"; finish; exit 1; }
for doc in README.md docs/query-language.md; do
    mkdir -p "$TMP/work-${doc//\//-}"
    if python3 "$SRC/tests/e2e/doc_examples.py" "$SRC/$doc" "$SEARCHER" "$IDX" \
        "$TMP/work-${doc//\//-}" >"$TMP/doc.out"; then
        ok "$doc: $(tail -1 "$TMP/doc.out" | sed 's/^# //')"
    else
        fail "$doc: $(tail -1 "$TMP/doc.out" | sed 's/^# //')" "$(grep -v '^ok' "$TMP/doc.out" | head -60 | sed 's/^/#   /')"
    fi
done
finish
