#!/usr/bin/env python3
"""Checks bench/trec_eval.py against a run whose every metric was computed by hand.

Notation: L = log2(3) = 1.5849625007, 1/L = 0.6309297536 (the discount of rank 2);
the discount of rank 1 is 1/log2(2) = 1, of rank 7 is 1/log2(8) = 1/3.
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, os.pardir, "bench"))
import trec_eval  # noqa: E402

QRELS = """\
qA 0 d1 1
qB 0 d2 1
qB 0 d3 1
qC 0 d4 1
qD 0 d6 1
qE 0 d7 1
qF 0 d9 1
qG 0 d8 1
qG 0 x9 0
qH 0 h1 1
qH 0 h2 1
qN 0 n1 0
"""

# Ranks are deliberately not always in line order (qD).
RUN = """\
qA Q0 d5 1 3.0 t
qA Q0 d1 2 2.5 t
qA Q0 d7 3 1.0 t
qB Q0 x 1 9.0 t
qB Q0 d2 2 8.0 t
qB Q0 y1 3 7.0 t
qB Q0 y2 4 6.0 t
qB Q0 y3 5 5.0 t
qB Q0 y4 6 4.0 t
qB Q0 d3 7 3.0 t
qC Q0 n1 1 20 t
qC Q0 n2 2 19 t
qC Q0 n3 3 18 t
qC Q0 n4 4 17 t
qC Q0 n5 5 16 t
qC Q0 n6 6 15 t
qC Q0 n7 7 14 t
qC Q0 n8 8 13 t
qC Q0 n9 9 12 t
qC Q0 n10 10 11 t
qC Q0 d4 11 10 t
qD Q0 z2 3 2.0 t
qD Q0 z1 1 2.0 t
qD Q0 d6 2 2.0 t
qE Q0 e1 1 1.0 t
qG Q0 d8 1 5.0 t
qG Q0 d8 2 5.0 t
qZ Q0 d1 1 1.0 t
"""

# Per query (MRR@10, R@1, R@5, R@10, R@100, nDCG@10), by hand:
#
# qA  relevant {d1}, d1 at rank 2.
#     MRR = 1/2.  R@1 = 0/1, R@5 = R@10 = R@100 = 1/1.
#     DCG = 1/log2(3) = 0.6309297536; ideal (1 relevant) = 1/log2(2) = 1.
#     nDCG = 0.6309297536.
# qB  relevant {d2, d3}, d2 at rank 2, d3 at rank 7.
#     MRR = 1/2.  R@1 = 0/2 = 0, R@5 = 1/2 (only d2), R@10 = R@100 = 2/2 = 1.
#     DCG = 1/log2(3) + 1/log2(8) = 0.6309297536 + 0.3333333333 = 0.9642630869
#     ideal = 1/log2(2) + 1/log2(3) = 1 + 0.6309297536 = 1.6309297536
#     nDCG = 0.9642630869 / 1.6309297536 = 0.5912352...
# qC  relevant {d4} at rank 11: outside the top 10.
#     MRR = 0, R@1 = R@5 = R@10 = 0, R@100 = 1, nDCG = 0.
# qD  ties: the three lines all score 2.0; in line order they are z2, z1, d6,
#     by RANK they are z1 (1), d6 (2), z2 (3).  (trec_eval's own tie break,
#     docno descending, would give z2, z1, d6.)  Ranked by RANK, d6 is 2nd:
#     MRR = 1/2.  R@1 = 0, R@5 = R@10 = R@100 = 1.  nDCG = 1/log2(3) = 0.6309297536.
# qE  results but none relevant: everything 0; it is not a no-result query.
# qF  in the qrels, absent from the run (the engine found nothing): all 0, no result.
# qG  relevant {d8} at rank 1 (x9 has rel 0: not relevant); d8 is listed twice
#     and counts once: MRR = 1, every R@k = 1 (not 2), nDCG = 1/1 = 1.
# qH  two relevant passages, query missing from the run: all 0, no result.
# qN  only rel-0 judgements: not evaluated.  qZ: not in the qrels: ignored.
#
# Evaluated: qA qB qC qD qE qF qG qH = 8 queries; no-result = 2 (qF, qH).
# Means over the 8:
#   MRR@10  = (1/2 + 1/2 + 0 + 1/2 + 0 + 0 + 1 + 0) / 8 = 2.5 / 8 = 0.3125
#   R@1     = (0 + 0 + 0 + 0 + 0 + 0 + 1 + 0) / 8       = 1 / 8   = 0.125
#   R@5     = (1 + 1/2 + 0 + 1 + 0 + 0 + 1 + 0) / 8     = 3.5 / 8 = 0.4375
#   R@10    = (1 + 1 + 0 + 1 + 0 + 0 + 1 + 0) / 8       = 4 / 8   = 0.5
#   R@100   = (1 + 1 + 1 + 1 + 0 + 0 + 1 + 0) / 8       = 5 / 8   = 0.625
#   nDCG@10 = (0.6309297536 + 0.5912352 + 0 + 0.6309297536 + 0 + 0 + 1 + 0) / 8
#           = 2.8530947 / 8 = 0.3566368

QB_NDCG = 0.9642630869 / 1.6309297536
EXPECTED_QUERY = {
    "qA": (0.5, 0, 1, 1, 1, 0.6309297536),
    "qB": (0.5, 0, 0.5, 1, 1, QB_NDCG),
    "qC": (0, 0, 0, 0, 1, 0),
    "qD": (0.5, 0, 1, 1, 1, 0.6309297536),
    "qE": (0, 0, 0, 0, 0, 0),
    "qF": (0, 0, 0, 0, 0, 0),
    "qG": (1, 1, 1, 1, 1, 1),
    "qH": (0, 0, 0, 0, 0, 0),
}
EXPECTED_MEAN = (0.3125, 0.125, 0.4375, 0.5, 0.625, 0.3566368)
NAMES = ("MRR@10", "R@1", "R@5", "R@10", "R@100", "nDCG@10")


class TestEval(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.qrels = os.path.join(cls.dir.name, "qrels")
        cls.run_path = os.path.join(cls.dir.name, "run")
        with open(cls.qrels, "w") as f:
            f.write(QRELS)
        with open(cls.run_path, "w") as f:
            f.write(RUN)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_hand_computed(self):
        self.assertAlmostEqual(QB_NDCG, 0.5912352, places=6)
        pq, summary = trec_eval.evaluate(trec_eval.read_qrels(self.qrels),
                                         trec_eval.read_run(self.run_path))
        self.assertEqual(sorted(pq), sorted(EXPECTED_QUERY))
        for qid, want in EXPECTED_QUERY.items():
            for name, value in zip(NAMES, want):
                self.assertAlmostEqual(pq[qid][name], value, places=7,
                                       msg="%s %s" % (qid, name))
        for name, value in zip(NAMES, EXPECTED_MEAN):
            self.assertAlmostEqual(summary[name], value, places=6, msg=name)
        self.assertEqual(summary["queries"], 8)
        self.assertEqual(summary["no-result"], 2)

    def test_rank_column_orders_ties(self):
        run = trec_eval.parse_run(RUN.splitlines())
        self.assertEqual(run["qD"], ["z1", "d6", "z2"])
        self.assertEqual(run["qG"], ["d8"])

    def test_empty_run(self):
        pq, summary = trec_eval.evaluate(trec_eval.read_qrels(self.qrels), {})
        self.assertEqual(summary["no-result"], 8)
        for name in NAMES:
            self.assertEqual(summary[name], 0.0)

    def test_bad_line(self):
        with self.assertRaises(ValueError):
            trec_eval.parse_run(["qA Q0 d1"])

    def test_command(self):
        script = os.path.join(HERE, os.pardir, "bench", "trec_eval.py")
        out = subprocess.run([sys.executable, script, self.qrels, self.run_path],
                             check=True, capture_output=True, text=True).stdout
        got = {}
        for line in out.splitlines():
            name, qid, value = line.split()
            self.assertEqual(qid, "all")
            got[name] = float(value)
        for name, value in zip(NAMES, EXPECTED_MEAN):
            self.assertAlmostEqual(got[name], value, places=4, msg=name)
        self.assertEqual(got["no-result"], 2)
        self.assertEqual(got["queries"], 8)
        bad = subprocess.run([sys.executable, script, self.qrels],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
