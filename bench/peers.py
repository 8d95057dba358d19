"""peers.py -- the engines dépêche is compared with in bench/eval.

Both peers index the benchmark one document per passage (a passage is a block
of the corpus file between blank lines; passage N of FILE is ``FILE#N``) and
answer every question with their documented French set-up:

* xapian-tg-qp: Xapian's TermGenerator + QueryParser with Stem("french")
  and STEM_SOME, the query's words OR-ed (default operator OP_OR, default
  parser flags), ranked with BM25Weight() (k1 = 1, b = 0.5, Xapian's defaults).
  Needs Debian's python3-xapian, i.e. /usr/bin/python3.
* sqlite-fts5: an FTS5 table with tokenize="unicode61 remove_diacritics 2",
  the question's words each quoted and OR-ed, ranked by bm25() (k1 = 1.2,
  b = 0.75, FTS5's defaults).

Each peer returns TREC run lines ``QID Q0 DOCNO RANK SCORE TAG``.
"""

import os
import re
import sqlite3
import subprocess
import sys

BLANK = re.compile(r"\n[ \t\r\f\v]*\n")


def read_passages(corpus):
    """[(docno, text)] for every *.txt file of corpus (sorted), passage = blank-line block."""
    passages = []
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if not name.endswith(".txt") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read().replace("\r\n", "\n")
        blocks = [b.strip() for b in BLANK.split(text)]
        for n, block in enumerate((b for b in blocks if b), 1):
            passages.append(("%s#%d" % (name, n), block))
    return passages


def read_queries(path):
    """[(qid, question)] from a QID<TAB>question file."""
    queries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            qid, _, text = line.partition("\t")
            queries.append((qid, text))
    return queries


def trec_lines(qid, hits, tag):
    return ["%s Q0 %s %d %.6f %s" % (qid, docno, rank, score, tag)
            for rank, (docno, score) in enumerate(hits, 1)]


# ---------------------------------------------------------------- Xapian

def xapian_module(install=True):
    """The xapian module, installing python3-xapian if allowed; else (None, why)."""
    try:
        import xapian
        return xapian, None
    except ImportError:
        pass
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "python3-xapian"],
        capture_output=True, text=True).stdout.endswith("install ok installed")
    if installed and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        return None, ("python3-xapian is installed for /usr/bin/python3, "
                      "not for %s" % sys.executable)
    if not installed:
        if not install:
            return None, "python3-xapian is not installed"
        if os.geteuid() != 0:
            return None, ("python3-xapian is not installed; run as root (or "
                          "'sudo apt-get install python3-xapian') to compare with Xapian")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        apt = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "python3-xapian"]
        sys.stderr.write("eval: installing python3-xapian\n")
        if subprocess.run(apt, env=env, stdout=sys.stderr).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=sys.stderr)
            if subprocess.run(apt, env=env, stdout=sys.stderr).returncode != 0:
                return None, "apt-get install python3-xapian failed"
    import importlib
    importlib.invalidate_caches()
    try:
        import xapian
        return xapian, None
    except ImportError as e:
        return None, "cannot import xapian: %s" % e


class XapianPeer:
    name = "xapian-tg-qp"

    def __init__(self, xapian):
        self.x = xapian
        self.db = None

    def index(self, passages, path):
        x = self.x
        db = x.WritableDatabase(path, x.DB_CREATE_OR_OVERWRITE)
        tg = x.TermGenerator()
        tg.set_stemmer(x.Stem("french"))
        tg.set_stemming_strategy(x.TermGenerator.STEM_SOME)
        for docno, text in passages:
            doc = x.Document()
            tg.set_document(doc)
            tg.index_text(text)
            doc.set_data(docno)
            idterm = "Q" + docno
            doc.add_boolean_term(idterm)
            db.replace_document(idterm, doc)
        db.commit()
        db.close()
        self.db = x.Database(path)

    def search(self, queries, k):
        x = self.x
        qp = x.QueryParser()
        qp.set_stemmer(x.Stem("french"))
        qp.set_stemming_strategy(x.QueryParser.STEM_SOME)
        qp.set_database(self.db)
        qp.set_default_op(x.Query.OP_OR)
        enquire = x.Enquire(self.db)
        enquire.set_weighting_scheme(x.BM25Weight())
        lines = []
        for qid, text in queries:
            try:
                query = qp.parse_query(text)
            except x.QueryParserError:
                query = qp.parse_query(text, 0)
            enquire.set_query(query)
            hits = [(m.document.get_data().decode("utf-8"), m.weight)
                    for m in enquire.get_mset(0, k)]
            lines += trec_lines(qid, hits, self.name)
        return lines


# ---------------------------------------------------------------- SQLite FTS5

WORD = re.compile(r"\w+")


def fts5_query(text):
    """The question's words, each quoted, OR-ed; None if it has no word."""
    words = WORD.findall(text)
    if not words:
        return None
    return " OR ".join('"%s"' % w for w in words)


class Fts5Peer:
    name = "sqlite-fts5"

    def __init__(self):
        self.con = None

    def index(self, passages, path):
        if os.path.exists(path):
            os.remove(path)
        con = sqlite3.connect(path)
        con.execute("CREATE VIRTUAL TABLE p USING fts5(docno UNINDEXED, body, "
                    "tokenize = 'unicode61 remove_diacritics 2')")
        with con:
            con.executemany("INSERT INTO p(docno, body) VALUES (?, ?)", passages)
        self.con = con

    def search(self, queries, k):
        sql = ("SELECT docno, bm25(p) AS s FROM p WHERE p MATCH ? "
               "ORDER BY s, rowid LIMIT ?")
        lines = []
        for qid, text in queries:
            match = fts5_query(text)
            if match is None:
                continue
            # bm25() is smaller for better matches: report its negation.
            hits = [(docno, -s) for docno, s in self.con.execute(sql, (match, k))]
            lines += trec_lines(qid, hits, self.name)
        return lines

    def close(self):
        if self.con is not None:
            self.con.close()
