#!/usr/bin/env python3
"""Instructions per env step of rlexp's training hot paths, counted by valgrind's callgrind.

Wall-clock figures on a shared 2-core VM move by 10-30% from run to run; an instruction count does
not (the same binary, seed and kernel level execute the same instructions). This counts A2C
(experiments/a2c_cartpole.json settings) and ACER (acer_sweep.json, replay ratio 4) training on
CartPole-v1: each is run twice under callgrind (`rlexp bench --training-only --only NAME` with two
step counts) and the difference of the two totals divided by the difference of env steps is the
count per step, so start-up and set-up cancel. It compares with the committed baseline
(bench/instructions_baseline.json) and prints the change; a change beyond --tolerance (default
10%) is flagged and the exit status is 1, so a slower hot path shows in review.

  bench/instructions.py --rlexp .build/release/rlexp            compare with the baseline
  bench/instructions.py --rlexp .build/release/rlexp --update   rewrite the baseline

The counts depend on the kernel level (CKernels: avx2+fma, counted with RLEXP_ISA=avx2 since valgrind
has no AVX-512, or portable) and a little on glibc; the
baseline records both, and a comparison across a different level or glibc says so. make bench runs it.
"""
import argparse, json, os, platform, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "instructions_baseline.json")
# (name as `rlexp bench --only` knows it, two --train-steps values, env steps each one trains)
# ACER trains a fifth of --train-steps; both of its counts start after replay_start (2000 steps).
CASES = [("A2C", 20_000, 60_000, 1), ("ACER replay_ratio 4", 20_000, 60_000, 5)]


def callgrind_total(rlexp, name, steps, env):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
               rlexp, "bench", "--training-only", "--only", name, "--train-steps", str(steps)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
        m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
        if not m:
            sys.exit(f"no 'Collected' total in callgrind's output:\n{p.stderr[-2000:]}")
        return int(m.group(1))


def isa_level(rlexp, env):
    out = subprocess.run([rlexp, "bench", "--network-only"], capture_output=True, text=True, env=env).stdout
    m = re.search(r"kernels: (\S+)", out)
    return m.group(1) if m else "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rlexp", default=".build/release/rlexp")
    ap.add_argument("--update", action="store_true", help="write the counts as the new baseline")
    ap.add_argument("--tolerance", type=float, default=0.10, help="relative change flagged (default 0.10)")
    args = ap.parse_args()
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        sys.exit("valgrind is not installed (apt-get install valgrind; make bench installs it)")
    env = dict(os.environ)
    # Debian 12's valgrind (3.19) cannot read the DWARF 5 that Swift 6 writes: count a copy without it.
    tmpdir = tempfile.mkdtemp(prefix="rlexp-instr-")
    stripped = os.path.join(tmpdir, "rlexp")
    subprocess.run(["strip", "--strip-debug", "-o", stripped, args.rlexp], check=True)
    args.rlexp = stripped
    # valgrind's virtual CPU has no AVX-512: count the AVX2 variant unless portable is asked for, so
    # that the level named is the one counted.
    if env.get("RLEXP_ISA") != "portable":
        env["RLEXP_ISA"] = "avx2"
    level = isa_level(args.rlexp, env)
    glibc = platform.libc_ver()[1]
    counts = {}
    for name, s1, s2, div in CASES:
        i1 = callgrind_total(args.rlexp, name, s1, env)
        i2 = callgrind_total(args.rlexp, name, s2, env)
        counts[name] = (i2 - i1) / ((s2 - s1) / div)
    if args.update:
        with open(BASELINE, "w") as f:
            json.dump({"kernels": level, "glibc": glibc, "instructions_per_env_step": {k: round(v, 1) for k, v in counts.items()},
                       "how": "bench/instructions.py --update (callgrind, difference of two step counts)"}, f, indent=2)
            f.write("\n")
        print(f"baseline written: {BASELINE}")
    base = json.load(open(BASELINE)) if os.path.exists(BASELINE) else None
    if base and (base.get("kernels") != level or base.get("glibc") != glibc):
        print(f"note: baseline measured with kernels {base.get('kernels')}, glibc {base.get('glibc')}; this run: kernels {level}, glibc {glibc}")
    worst = 0.0
    for name, v in counts.items():
        ref = base and base["instructions_per_env_step"].get(name)
        if ref:
            change = v / ref - 1
            worst = max(worst, change)
            flag = "   <-- more than {:.0%} above the baseline".format(args.tolerance) if change > args.tolerance else ""
            print(f"{name} training (CartPole-v1, kernels {level}): {v:10.0f} instructions per env step   baseline {ref:10.0f}   {change:+.1%}{flag}")
        else:
            print(f"{name} training (CartPole-v1, kernels {level}): {v:10.0f} instructions per env step   (no baseline)")
    subprocess.run(["rm", "-rf", tmpdir])
    return 1 if worst > args.tolerance else 0


if __name__ == "__main__":
    sys.exit(main())
