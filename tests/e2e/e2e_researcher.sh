#!/usr/bin/env bash
# e2e_researcher.sh -- queries a researcher would type on the bundled
# corpus must find their passage in the top 3 (tests/e2e/researcher_queries.tsv).
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
"$INDEXER" -q -d "$IDX" "$SRC/corpus" || { fail "index"; finish; exit 1; }
while IFS=$'\t' read -r query want what; do
    case "$query" in ''|'#'*) continue ;; esac
    got=$("$SEARCHER" -d "$IDX" --format jsonl -k 3 "$query" |
          python3 -c 'import sys, json
print(" ".join("%s:%d" % (h["file"], h["line"]) for h in map(json.loads, sys.stdin)))')
    case " $got " in
        *" $want "*) ok "$what: '$query' finds $want" ;;
        *) fail "$what: '$query' finds $want" "top 3: $got" ;;
    esac
done <"$SRC/tests/e2e/researcher_queries.tsv"
finish
