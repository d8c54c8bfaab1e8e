#!/usr/bin/env python3
"""Hostile spec files through the real command line, one process each: `rlexp validate FILE` must
exit 0 with one `FILE: ok (N runs)` line, or exit 2 with the spec's one `error: invalid spec FILE:`
block (each problem on its own indented line, starting with a JSON path or the line and column of
a syntax error) and the summary line — never a signal, another exit status, a hang or a stack trace.
A few refused specs also go through `rlexp run --out DIR`, which must leave DIR uncreated.

The in-process counterpart with ≥ 10 000 seeded mutations is Tests/ExperimentsTests/SpecFuzzTests.swift;
libFuzzer runs on the same decoder in Tests/fuzz/run_fuzz.sh. Prints 'hostile specs: N passed, N failed'.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD = {"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}
TIMEOUT = 30


def good(**kw):
    return json.dumps(dict(GOOD, **kw)).encode()


def cases():
    """(name, bytes, expected) with expected 'ok' or a substring of one problem."""
    out = []
    smoke = open(os.path.join(ROOT, "experiments", "smoke", "a2c_cartpole_smoke.json"), "rb").read()
    acer = open(os.path.join(ROOT, "experiments", "acer_sweep.json"), "rb").read()
    # every committed spec is valid
    for f in sorted(glob.glob(os.path.join(ROOT, "experiments", "*.json")) + glob.glob(os.path.join(ROOT, "experiments", "smoke", "*.json"))):
        if not f.endswith("schema.json"):
            out.append(("committed-" + os.path.basename(f), open(f, "rb").read(), "ok"))
    # truncations
    for k in (0, 1, len(smoke) // 3, len(smoke) // 2, len(smoke) - 2):
        out.append((f"truncated-{k}", smoke[:k], "empty input" if k == 0 else "not valid JSON: line"))
    out += [
        ("whitespace-only", b" \n\t ", "only whitespace"),
        ("bom", b"\xef\xbb\xbf" + good(), "byte-order mark"),
        ("nan", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": NaN}', "NaN and Infinity are not JSON numbers"),
        ("infinity", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": Infinity}', "NaN and Infinity are not JSON numbers"),
        ("1e400", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1e400}', "out of range"),
        ("minus-1e400", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "hyperparameters": {"lr": -1e400}}', "out of range"),
        ("1e-400", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "hyperparameters": {"lr": 1e-400}}', "too small for a 64-bit float"),
        ("2^63", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 9223372036854775808}', "$.total_steps: expected an integer"),
        ("2^64", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 18446744073709551616}', "$.total_steps: expected an integer"),
        ("2^63-1", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 9223372036854775807}', "$.total_steps: expected at most"),
        ("minus-zero", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": -0}', "$.total_steps: expected an integer"),
        ("leading-zero", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 01000}', "leading zeros"),
        ("deep-lists", b"[" * 100_000 + b"]" * 100_000, "nested deeper than 256 levels"),
        ("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested deeper than 256 levels"),
        ("duplicate-key", b'{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "algo": "acer"}', 'duplicate key "algo"'),
        ("invalid-utf8", b'{"name": "ab\xff", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}', "invalid UTF-8 byte 0xFF at byte offset 12"),
        ("overlong-utf8", b'{"name": "\xc0\x80", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}', "invalid UTF-8 byte 0xC0"),
        ("utf8-surrogate", b'{"description": "\xed\xa0\x80", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}', "invalid UTF-8 byte 0xED"),
        ("lone-surrogate-escape", b'{"description": "\\ud800", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}', "unpaired UTF-16 surrogate"),
        ("nul-byte", b'{"env": "Cart\x00Pole-v1", "algo": "a2c", "total_steps": 1000}', "control character U+0000"),
        ("escape-in-key", b'{"\\u001b[2J": 1, "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}', 'unknown key "\\u001b[2J"'),
        ("huge-string", good(description="x" * (4 << 20)), "ok"),
        ("huge-key", json.dumps(dict(GOOD, **{"k" * (1 << 20): 1})).encode(), "$: unknown key"),
        ("many-keys", json.dumps(dict(GOOD, **{f"k{i}": i for i in range(50_000)})).encode(), "more unknown key(s)"),
        ("wrong-type-env", good(env=["CartPole-v1"]), "$.env: expected one of"),
        ("wrong-type-hyperparameters", good(hyperparameters=[1, 2]), "$.hyperparameters: expected an object"),
        ("wrong-type-sweep-value", good(sweep={"lr": 0.1}), "$.sweep.lr: expected a non-empty list"),
        ("huge-grid", good(sweep={k: [round(0.011 + 0.01 * i, 3) for i in range(10)] for k in
                                  ["gamma", "lr", "ent_coef", "vf_coef", "max_grad_norm", "gae_lambda", "rprop_alpha", "rprop_epsilon", "adam_beta1", "adam_beta2"]}),
         "the sweep expands to 10000000000 runs"),
        ("random-search-past-int", good(sweep={"nsteps": {"uniform": [1, 1e300], "samples": 2}}), "$.sweep.nsteps.uniform: the range's high end"),
        ("huge-network", good(hyperparameters={"hidden": [65536, 65536, 65536]}), "the network has"),
        ("huge-rollout", good(total_steps=10**9, hyperparameters={"nenvs": 4096, "nsteps": 100000}), "one update of nenvs·nsteps"),
        ("huge-buffer", json.dumps({"env": "MinAtar/Breakout-v1", "algo": "acer", "total_steps": 100000,
                                    "hyperparameters": {"buffer_size": 10**9}}).encode(), "a replay buffer of"),
        ("report-interval-int-max", json.dumps({"env": "CartPole-v1", "algo": "async", "total_steps": 1000,
                                                "hyperparameters": {"report_interval": 2**63 - 1}}).encode(), "at most 1000000000000000"),
        ("acer-control-chars", acer.replace(b'"acer_sweep"', b'"acer\\u0007sweep"'), "$.name: expected a name"),
        ("surrogate-pair-ok", good(description="\U0001F600 é"), "ok"),
        ("largest-values-ok", json.dumps({"env": "CartPole-v1", "algo": "acer", "total_steps": 10**12, "checkpoint_every": 10**12,
                                          "hyperparameters": {"replay_start": 10**6, "buffer_size": 10**7}}).encode(), "ok"),
    ]
    return out


def check_validate(rlexp, tmp, name, data, expected):
    fname = name + ".json"
    with open(os.path.join(tmp, fname), "wb") as f:
        f.write(data)
    t0 = time.time()
    try:
        p = subprocess.run([rlexp, "validate", fname], cwd=tmp, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"no answer within {TIMEOUT} s"
    dt = time.time() - t0
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return f"killed by signal {-p.returncode}: {err[-500:]}"
    if expected == "ok":
        if p.returncode != 0 or err or not re.fullmatch(re.escape(fname) + r": ok \([0-9]+ runs\)\n", out):
            return f"expected ok, got exit {p.returncode}, stdout {out[:300]!r}, stderr {err[:500]!r}"
        return None
    if p.returncode != 2:
        return f"expected exit 2, got {p.returncode}: {err[:500]!r}"
    if out:
        return f"stdout not empty: {out[:300]!r}"
    lines = err.rstrip("\n").split("\n")
    errors = [l for l in lines if l.startswith("error:")]
    if lines[0] != f"error: invalid spec {fname}:" or errors != [lines[0], "error: 1 of 1 spec(s) invalid"] or lines[-1] != errors[-1]:
        return f"not one error block: {err[:600]!r}"
    problems = lines[1:-1]
    if not problems or len(problems) > 52:
        return f"{len(problems)} problem lines"
    for l in problems:
        if not (l.startswith("  $") or l.startswith("  not valid JSON: line ") or l.startswith("  … and ")) or len(l) > 2100:
            return f"a problem line without a location, or too long: {l[:300]!r}"
    if not any(expected in l for l in problems):
        return f"no problem mentions {expected!r}: {[l[:200] for l in problems]}"
    if dt > 10:
        return f"took {dt:.1f} s"
    return None


def check_run_writes_nothing(rlexp, tmp, name):
    out_dir = os.path.join(tmp, "out-" + name)
    p = subprocess.run([rlexp, "run", name + ".json", "--out", out_dir], cwd=tmp, capture_output=True, timeout=TIMEOUT)
    if p.returncode != 2:
        return f"rlexp run exited {p.returncode}: {p.stderr.decode('utf-8', 'replace')[:300]!r}"
    if os.path.exists(out_dir):
        return f"rlexp run on an invalid spec created {out_dir}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    args = ap.parse_args()
    rlexp = os.path.abspath(args.rlexp)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="rlexp-hostile-") as tmp:
        all_cases = cases()
        for name, data, expected in all_cases:
            why = check_validate(rlexp, tmp, name, data, expected)
            if why:
                failed += 1
                print(f"FAIL {name}: {why}")
            else:
                passed += 1
        for name in ["truncated-1", "deep-lists", "invalid-utf8", "huge-grid", "huge-buffer"]:
            why = check_run_writes_nothing(rlexp, tmp, name)
            if why:
                failed += 1
                print(f"FAIL run {name}: {why}")
            else:
                passed += 1
    print(f"hostile specs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
