#!/usr/bin/env python3
"""Run the shell examples of a Markdown document against the bundled
corpus and compare their output with the document.

Usage: doc_examples.py [--update] DOC SEARCHER INDEX WORKDIR

A fenced block whose lines start with "$ " holds examples: each "$ " line
is a command, the lines after it (up to the next "$ " line or the end of
the block) its expected output, standard output and standard error
together.  `ds` and `./depeche search` stand for SEARCHER -d INDEX.  A
command `cat FILE` for a FILE that does not exist yet writes the lines
after it into FILE (the example's input); an example that runs anything
but ds, echo and cat is skipped.  Commands run in WORKDIR, with NO_COLOR
set (snippets are highlighted in Markdown, as in a pipe).  One TAP line
per example; exits 1 when any differs.  --update writes the actual output
into DOC instead (then read the prose around what changed).
"""
import difflib
import os
import re
import subprocess
import sys


def examples(path):
    """(command, expected lines, line number of the first expected line)"""
    block, first = None, 0
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.startswith("```"):
            if block is not None:
                yield from split(block)
            block = [] if block is None else None
        elif block is not None:
            block.append((no, line))


def split(block):
    cmd, out, at = None, [], 0
    for no, line in block:
        if line.startswith("$ "):
            if cmd is not None:
                yield cmd, out, at
            cmd, out, at = line[2:], [], no + 1
        elif cmd is not None:
            out.append(line)
    if cmd is not None:
        yield cmd, out, at


def programs(cmd):
    """The programs a command line runs (first word of each pipeline part)."""
    code = re.sub(r"'[^']*'|\"[^\"]*\"", "''", cmd)
    code = re.sub(r"#.*", "", code)
    return re.findall(r"(?:^|;|&&|\|\|?)\s*([^\s;&|<>]+)", code)


def main():
    update = sys.argv[1] == "--update"
    doc, searcher, index, workdir = sys.argv[1 + update:5 + update]
    fixes = []
    # the commands run in WORKDIR
    searcher, index = os.path.abspath(searcher), os.path.abspath(index)
    env = dict(os.environ, NO_COLOR="1")
    env.pop("DEPECHE_INDEX", None)
    prelude = 'ds() { "%s" -d "%s" "$@"; }\n' % (searcher, index)
    name = os.path.basename(doc)
    bad = n = 0
    for cmd, want, at in examples(doc):
        cmd = cmd.replace("./depeche search", "ds")
        progs = programs(cmd)
        m = re.fullmatch(r"cat (\S+)", cmd.strip())
        if m and not os.path.exists(os.path.join(workdir, m.group(1))):
            with open(os.path.join(workdir, m.group(1)), "w",
                      encoding="utf-8") as f:
                f.write("".join(l + "\n" for l in want))
            continue
        if not progs or any(p not in ("ds", "echo", "cat") for p in progs):
            continue
        n += 1
        got = subprocess.run(["bash", "-c", prelude + cmd], env=env,
                             cwd=workdir, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT).stdout
        got = got.decode("utf-8", "replace").rstrip("\n").split("\n")
        while want and want[-1] == "":
            want.pop()
        if got == [""]:
            got = []
        if got == want:
            print("ok - %s: $ %s" % (name, cmd))
            continue
        bad += 1
        fixes.append((at, len(want), got))
        print("not ok - %s: $ %s" % (name, cmd))
        for l in difflib.unified_diff(want, got, "documented", "actual",
                                      lineterm="", n=1):
            print("#   " + l)
    print("# %d of %d examples of %s differ" % (bad, n, name))
    if update and fixes:
        lines = open(doc, encoding="utf-8").read().split("\n")
        for at, count, got in sorted(fixes, reverse=True):
            lines[at - 1:at - 1 + count] = got
        with open(doc, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        print("# %s: %d examples updated" % (name, len(fixes)))
        return 0
    return 1 if bad or n == 0 else 0


sys.exit(main())
