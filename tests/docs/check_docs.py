#!/usr/bin/env python3
"""The docs say what is true: every hostwire command shown in README.md and docs/ runs, and
every parameter key a docs table names exists.

Commands are taken from fenced code blocks (lines starting with `hostwire` or `build/hostwire`,
continuation lines joined; usage synopses with placeholders such as SCENARIO or [...] skipped).
`run` and `sweep` are run as written with a short duration appended (a later --set wins) and
their outputs in a scratch folder; `check`, `params`, `--help`, `--version` as written; `diff`
and `sweep --collect` need outputs of earlier runs and are checked when those exist. Every one
must exit 0.

Keys: in every table whose first column is headed `key` or `field`, each backticked name in
that column must match a key `hostwire params` lists: exactly, as a suffix (a table under a
section names keys relative to its prefix, `http.input` or `input`), with `<host>`-style
placeholders and `*` as wildcards, and `[0]` read as a list's `[]`.

usage: check_docs.py HOSTWIRE SOURCE_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

SHORT = "200us"


def doc_files(src):
    yield os.path.join(src, "README.md")
    for root, _, files in os.walk(os.path.join(src, "docs")):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.join(root, f)


def commands(path):
    """(line number, command) for each hostwire command in a fenced block."""
    out, fenced, pending, start = [], False, "", 0
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        s = line.rstrip("\n")
        if s.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        s = s.strip()
        if s.startswith("$ "):
            s = s[2:]
        if pending:
            s, start = pending + " " + s, start
        elif re.match(r"(build/)?hostwire\b", s):
            start = n
        else:
            continue
        if s.endswith("\\"):
            pending = s[:-1].strip()
            continue
        pending = ""
        s = re.sub(r"\s+#.*$", "", s)  # a trailing comment
        out.append((start, s))
    return out


def is_synopsis(cmd):
    return "..." in cmd or " | " in cmd or re.search(r"\b[A-Z][A-Z_]{1,}\b", cmd) or "[--" in cmd or "<" in cmd


def run_one(binary, cmd, scratch, src):
    argv = shlex.split(cmd)
    argv[0] = binary
    sub = argv[1] if len(argv) > 1 else ""
    if sub in ("run", "check", "sweep") and len(argv) > 2 and not argv[2].startswith("-") and \
            not os.path.exists(os.path.join(scratch, argv[2])):
        return "example"  # a file of the reader's own (my_scenario.yaml)
    if sub in ("run", "sweep"):
        if "--collect" in argv:
            if not os.path.isdir(os.path.join(scratch, argv[argv.index("--collect") + 1])):
                return None  # the sweep it collects was not run here
        elif "--submit" in argv:
            return None  # would submit to a cluster
        else:
            # Outputs go to the scratch folder (relative paths there), the duration is short.
            argv += ["--set", "duration=" + SHORT]
            if sub == "run":
                argv.append("--no-progress")
            if "--out" not in argv:
                argv += ["--out", os.path.join("out", "docs_%d" % abs(hash(cmd)))]
    elif sub == "diff":
        paths = [a for a in argv[2:] if not a.startswith("-") and "=" not in a]
        if not all(os.path.exists(os.path.join(scratch, p)) for p in paths[:2]):
            return None
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True, timeout=600)
    # diff exits 1 when values moved: that is its answer, not a failure of the command.
    ok = r.returncode == 0 or (sub == "diff" and r.returncode == 1)
    return None if ok else (r.returncode, (r.stdout + r.stderr)[-600:])


def known_keys(binary):
    out = subprocess.run([binary, "params"], capture_output=True, text=True,
                         env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")).stdout
    keys = set()
    for line in out.splitlines():
        if line.startswith("  ") and not line.startswith("  KEY"):
            keys.add(line.split()[0])
    return keys


def table_keys(path):
    """(line, name) for each backticked name in the first column of key/field tables."""
    out, in_table = [], False
    lines = open(path, encoding="utf-8").read().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:
            in_table = cells[0] in ("key", "field")
            continue
        if re.match(r"^-+$", cells[0].replace(":", "")):
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            out.append((n, name))
    return out


def key_regex(name):
    name = re.sub(r"\[\d+\]", "[]", name)
    parts = []
    for tok in re.split(r"(<[^>]+>|\*)", name):
        if tok == "*":
            parts.append(".*")
        elif tok.startswith("<"):
            parts.append(r"[^.]+")
        else:
            parts.append(re.escape(tok))
    return "".join(parts)


def key_exists(name, keys):
    rx = re.compile(r"(.*\.)?" + key_regex(name))
    return any(rx.fullmatch(k) for k in keys)


def main():
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    failures, ran, examples = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="hostwire_docs_") as scratch:
        os.symlink(os.path.join(src, "scenarios"), os.path.join(scratch, "scenarios"))
        for path in doc_files(src):
            rel = os.path.relpath(path, src)
            for n, cmd in commands(path):
                if is_synopsis(cmd):
                    continue
                bad = run_one(binary, cmd, scratch, src)
                if bad == "example":
                    examples += 1
                    continue
                ran += 1
                if bad:
                    failures.append("%s:%d: `%s` exited %d:\n%s" % (rel, n, cmd, bad[0], bad[1]))
    keys = known_keys(binary)
    checked = 0
    for path in doc_files(src):
        rel = os.path.relpath(path, src)
        for n, name in table_keys(path):
            if " " in name or "/" in name or "." not in name and not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                continue  # a value or a file, not a key
            checked += 1
            if not key_exists(name, keys):
                failures.append("%s:%d: key `%s` is not a parameter (hostwire params)" % (rel, n, name))
    print("docs: %d commands run (%d on the reader's own files skipped), %d table keys checked" % (ran, examples, checked))
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
