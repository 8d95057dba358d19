#!/usr/bin/env bash
# e2e_relevance.sh -- relevance regression guard: the PIAF development
# questions must keep MRR@10 and R@100 within 0.01 of what dépêche reached
# when these floors were set (docs/relevance.md).  Deterministic, not timed.
. "$(dirname "$0")/lib.sh" "$@"
MRR_FLOOR=0.750   # reached 0.7604
R100_FLOOR=0.944  # reached 0.9542
IDX=$TMP/idx
PIAF=$SRC/bench/piaf
"$INDEXER" -q -d "$IDX" "$PIAF/corpus" || { fail "index PIAF"; finish; exit 1; }
expect_status 0 "run the 1,616 PIAF dev questions" "$SEARCHER" -d "$IDX" --batch "$PIAF/queries-dev.tsv" --format trec -k 100 -j 2
cp "$TMP/out" "$TMP/run"
python3 "$SRC/bench/trec_eval.py" "$PIAF/qrels-dev.txt" "$TMP/run" >"$TMP/metrics"
mrr=$(awk '$1 == "MRR@10" {print $3}' "$TMP/metrics")
r100=$(awk '$1 == "R@100" {print $3}' "$TMP/metrics")
if awk -v v="$mrr" -v f="$MRR_FLOOR" 'BEGIN { exit !(v >= f) }'; then ok "MRR@10 $mrr >= $MRR_FLOOR"; else fail "MRR@10 $mrr >= $MRR_FLOOR"; fi
if awk -v v="$r100" -v f="$R100_FLOOR" 'BEGIN { exit !(v >= f) }'; then ok "R@100 $r100 >= $R100_FLOOR"; else fail "R@100 $r100 >= $R100_FLOOR"; fi
finish
