#!/usr/bin/python3
"""trec_eval.py -- dépêche's own small evaluator for TREC runs.

    trec_eval.py [-q] QRELS RUN

QRELS lines: ``QID 0 DOCNO REL`` (REL > 0 is relevant).
RUN lines:   ``QID Q0 DOCNO RANK SCORE TAG``.

Metrics, per query and as the mean over the evaluated queries:

  MRR@10   1 / rank of the first relevant passage in the top 10, else 0
  R@k      |relevant ∩ top k| / |relevant|, for k = 1, 5, 10, 100
  nDCG@10  DCG@10 / ideal DCG@10, binary gains, discount 1 / log2(rank + 1);
           the ideal ranking puts all the relevant passages of the qrels first
  no-result  number of evaluated queries with no passage at all in the run

The evaluated queries are the queries of the qrels that have at least one
relevant passage (a query with none has no defined recall; trec_eval skips
them too).  A query of the qrels that is absent from the run scores zero on
every metric and counts as a query with no result.  Queries of the run that
are not in the qrels are ignored.

The ranking of a query is the order of its RANK column (ascending), not the
order of the lines nor the scores: equal scores (ties) are resolved by the
rank the engine gave.  Lines with the same rank keep their order in the file.
A passage listed twice for a query counts once, at its best rank.

Usable as a module: ``evaluate(read_qrels(path), read_run(path))``.
Python standard library only.
"""

import math
import sys

CUTOFFS = (1, 5, 10, 100)
METRICS = ("MRR@10",) + tuple("R@%d" % k for k in CUTOFFS) + ("nDCG@10",)


def read_qrels(path):
    """{qid: {docno: rel}} from a TREC qrels file."""
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) != 4:
                raise ValueError("%s:%d: expected QID ITER DOCNO REL" % (path, n))
            qid, _, docno, rel = fields
            qrels.setdefault(qid, {})[docno] = int(rel)
    return qrels


def parse_run(lines, name="run"):
    """{qid: [docno, ...]} in rank order from TREC run lines."""
    rows = {}
    for n, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 5:
            raise ValueError("%s:%d: expected QID Q0 DOCNO RANK SCORE TAG" % (name, n))
        qid, _, docno, rank = fields[:4]
        rows.setdefault(qid, []).append((int(rank), n, docno))
    run = {}
    for qid, hits in rows.items():
        hits.sort()  # by RANK, then by line order
        seen, docs = set(), []
        for _, _, docno in hits:
            if docno not in seen:
                seen.add(docno)
                docs.append(docno)
        run[qid] = docs
    return run


def read_run(path):
    with open(path, encoding="utf-8") as f:
        return parse_run(f, path)


def query_metrics(ranking, rels):
    """Metrics of one query: ranking = docnos in rank order, rels = {docno: rel}."""
    relevant = {d for d, r in rels.items() if r > 0}
    m = {}
    rr = 0.0
    for i, d in enumerate(ranking[:10], 1):
        if d in relevant:
            rr = 1.0 / i
            break
    m["MRR@10"] = rr
    for k in CUTOFFS:
        hit = sum(1 for d in ranking[:k] if d in relevant)
        m["R@%d" % k] = hit / len(relevant)
    dcg = sum(1.0 / math.log2(i + 1)
              for i, d in enumerate(ranking[:10], 1) if d in relevant)
    idcg = sum(1.0 / math.log2(i + 1)
               for i in range(1, min(len(relevant), 10) + 1))
    m["nDCG@10"] = dcg / idcg
    return m


def evaluate(qrels, run):
    """Returns (per_query, summary).

    per_query: {qid: {metric: value}} for each evaluated query (qrels order);
    summary: {metric: mean, "queries": n, "no-result": n}.
    """
    per_query = {}
    no_result = 0
    for qid, rels in qrels.items():
        if not any(r > 0 for r in rels.values()):
            continue
        ranking = run.get(qid, [])
        if not ranking:
            no_result += 1
        per_query[qid] = query_metrics(ranking, rels)
    n = len(per_query)
    summary = {name: (sum(q[name] for q in per_query.values()) / n if n else 0.0)
               for name in METRICS}
    summary["queries"] = n
    summary["no-result"] = no_result
    return per_query, summary


def main(argv):
    args = list(argv[1:])
    per_query = False
    if args and args[0] == "-q":
        per_query = True
        args.pop(0)
    if len(args) != 2 or args[0].startswith("-"):
        sys.stderr.write("usage: trec_eval.py [-q] QRELS RUN\n")
        return 2
    try:
        qrels, run = read_qrels(args[0]), read_run(args[1])
    except (OSError, ValueError) as e:
        sys.stderr.write("trec_eval.py: %s\n" % e)
        return 2
    pq, summary = evaluate(qrels, run)
    if per_query:
        for qid, m in pq.items():
            for name in METRICS:
                print("%-10s %-20s %.4f" % (name, qid, m[name]))
    for name in METRICS:
        print("%-10s %-20s %.4f" % (name, "all", summary[name]))
    print("%-10s %-20s %d" % ("no-result", "all", summary["no-result"]))
    print("%-10s %-20s %d" % ("queries", "all", summary["queries"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
