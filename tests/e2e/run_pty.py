#!/usr/bin/env python3
"""run_pty.py OUT ARGV...: run ARGV with its stdout and stderr on a
pseudo-terminal (stdin closed), write all it printed to OUT, and exit
with its status."""
import os
import subprocess
import sys


def run_pty(out, argv):
    m, s = os.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=s, stderr=s)
    os.close(s)
    chunks = []
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not d:
            break
        chunks.append(d)
    os.close(m)
    with open(out, 'wb') as f:
        f.write(b''.join(chunks))
    return p.wait()


if __name__ == '__main__':
    sys.exit(run_pty(sys.argv[1], sys.argv[2:]))
