#!/usr/bin/env python3
"""Mutation check: every deliberate bug in Tests/mutation/mutations.json must make a test fail.

For each mutation, alone: replace its `find` text (which must occur exactly once in its file) by
`replace`, rebuild incrementally (debug configuration: the library targets are optimised there too,
see Package.swift, and only the mutated file recompiles), run its check, restore the file. `check`
is 'swift' (every XCTest suite, `swift test --skip-build`), 'cli' (Tests/python/check_cli.py, the
pinned help and error output) or 'golden:NAME' (the smoke sweep NAME against its golden file, for
code that only a whole run reaches, such as a driver's interleaving). A mutation that no test catches "survives" and fails the run; one
that does not compile is an error in the list.

The original of a file being mutated is kept in .build/mutation-backup/ until it is restored, and a
run that was killed half-way restores it first thing next time. Prints a table (mutation, module,
caught by) and 'mutation: N passed, N failed' (passed = caught).

  Tests/mutation/run_mutations.py            all mutations (make mutation)
  Tests/mutation/run_mutations.py --quick    the ones marked quick (make test)
  Tests/mutation/run_mutations.py --only ID  one or more by id
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "Tests", "mutation", "mutations.json")
BACKUP = os.path.join(ROOT, ".build", "mutation-backup")
SWIFT = os.environ.get("SWIFT", "swift")


def restore_leftovers():
    """Puts back any file a killed run left mutated."""
    if not os.path.isdir(BACKUP):
        return
    for dirpath, _, files in os.walk(BACKUP):
        for f in files:
            src = os.path.join(dirpath, f)
            dst = os.path.join(ROOT, os.path.relpath(src, BACKUP))
            shutil.copyfile(src, dst)
            os.remove(src)
            print(f"restored {os.path.relpath(dst, ROOT)} left mutated by an interrupted run")
    shutil.rmtree(BACKUP, ignore_errors=True)


def run(cmd, timeout=1200):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def failing_tests(output):
    """XCTest's failed cases ('Test Case 'X.y' failed') or the Python checks' FAIL lines."""
    names = re.findall(r"Test Case '-?\[?([\w.]+)[ .](\w+)\]?' failed", output)
    found = [f"{a}.{b}" for a, b in names]
    found += [m.split(":")[0] for m in re.findall(r"^FAIL (.+)$", output, re.M)]
    if not found:
        # a crash ends the test process inside the test that was running
        started = re.findall(r"Test Case '-?\[?([\w.]+)[ .](\w+)\]?' started", output)
        if started:
            found = [f"{started[-1][0]}.{started[-1][1]} (crashed)"]
    return list(dict.fromkeys(found))


def check(kind):
    if kind == "swift":
        code, out = run([SWIFT, "build", "--build-tests"])
        if code != 0:
            return None, out
        code, out = run([SWIFT, "test", "--skip-build"])
        return code, out
    if kind == "cli":
        code, out = run([SWIFT, "build", "--product", "rlexp"])
        if code != 0:
            return None, out
        return run([sys.executable, "Tests/python/check_cli.py", "--rlexp", ".build/debug/rlexp"])
    if kind.startswith("golden:"):
        # the smoke sweep NAME against its golden file (exact tier): for code no unit test reaches
        name = kind.split(":", 1)[1]
        code, out = run([SWIFT, "build", "--product", "rlexp"])
        if code != 0:
            return None, out
        with tempfile.TemporaryDirectory() as tmp:
            code, out = run([".build/debug/rlexp", "run", f"experiments/smoke/{name}.json", "--out", tmp + "/r", "--no-report"])
            if code != 0:
                return code, out
            code, out = run([".build/debug/rlexp", "check", tmp + "/r", "--golden", f"results/golden/{name}.json"])
            return code, out + (f"\nFAIL golden check of {name}" if code != 0 else "")
    raise SystemExit(f"unknown check {kind!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the mutations marked quick")
    ap.add_argument("--only", nargs="+", metavar="ID", help="only these mutations")
    ap.add_argument("--skip-baseline", action="store_true", help="do not first check that the unmutated code passes (make test has just run the suites)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    restore_leftovers()
    mutations = json.load(open(LIST))["mutations"]
    if args.quick:
        mutations = [m for m in mutations if m.get("quick")]
    if args.only:
        unknown = set(args.only) - {m["id"] for m in mutations}
        if unknown:
            raise SystemExit(f"unknown mutation id(s): {sorted(unknown)}")
        mutations = [m for m in mutations if m["id"] in args.only]
    # the list must still match the code: each find text exactly once
    stale = []
    for m in mutations:
        n = open(os.path.join(ROOT, m["file"])).read().count(m["find"])
        if n != 1:
            stale.append(f"{m['id']}: 'find' occurs {n} times in {m['file']} (must be exactly once)")
    if stale:
        print("error: the mutation list no longer matches the code:\n  " + "\n  ".join(stale))
        sys.exit(2)
    # the unmutated code must pass the checks the mutations rely on, or a failure proves nothing
    for kind in [] if args.skip_baseline else sorted({m["check"] for m in mutations}):
        code, out = check(kind)
        if code != 0:
            print(f"error: the '{kind}' check fails without any mutation:\n{out[-3000:]}")
            sys.exit(2)
    rows, survived, errors = [], 0, 0
    for i, m in enumerate(mutations, 1):
        path = os.path.join(ROOT, m["file"])
        original = open(path).read()
        backup = os.path.join(BACKUP, m["file"])
        os.makedirs(os.path.dirname(backup), exist_ok=True)
        shutil.copyfile(path, backup)
        t0 = time.time()
        try:
            open(path, "w").write(original.replace(m["find"], m["replace"]))
            code, out = check(m["check"])
        finally:
            open(path, "w").write(original)
            os.remove(backup)
        dt = time.time() - t0
        if code is None:
            verdict = "ERROR: does not compile"
            errors += 1
        elif code == 0:
            verdict = "SURVIVED"
            survived += 1
        else:
            caught = failing_tests(out)
            verdict = ", ".join(caught[:3]) + (f" (+{len(caught) - 3})" if len(caught) > 3 else "") if caught else f"exit {code}"
        rows.append((m["id"], m.get("module", ""), verdict))
        print(f"[{i}/{len(mutations)}] {m['id']}: {verdict} ({dt:.0f} s)", flush=True)
    shutil.rmtree(BACKUP, ignore_errors=True)
    # leave the build matching the restored sources
    run([SWIFT, "build", "--build-tests"])
    print("\n| mutation | module | caught by |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print(f"\nmutation: {len(rows) - survived - errors} passed, {survived + errors} failed")
    sys.exit(1 if survived or errors else 0)


if __name__ == "__main__":
    main()
