// Compares DetMath.sin/cos/sincos (Sources/NN/DetTrig.swift with Sources/CKernels/dettrig.c) and
// DetMath.libmSquare/powLibm (Sources/NN/DetPow.swift) with the live glibc on this machine, bit for
// bit, on ~2·10⁸ inputs, checks libmSquare's fast path against the full pow, and times them. Not part
// of the package build (no target includes Tests/tools); compile it with the DetMath files and the
// C kernels:
//
//   mkdir -p /tmp/dtc && printf 'module CKernels { header "%s/Sources/CKernels/include/CKernels.h" export * }\n' \
//       "$PWD" > /tmp/dtc/module.modulemap
//   for f in dettrig isa; do clang -O2 -I Sources/CKernels/include -c Sources/CKernels/$f.c -o /tmp/dtc/$f.o; done
//   swiftc -O -parse-as-library -module-name NN -I /tmp/dtc Sources/NN/DetMath.swift Sources/NN/DetTrig.swift \
//       Sources/NN/DetPow.swift Tests/tools/dettrig_check.swift /tmp/dtc/dettrig.o /tmp/dtc/isa.o -o /tmp/dettrig_check
//   /tmp/dettrig_check                 # FMA CPU: expect 0 mismatches everywhere
//   RLEXP_ISA=portable /tmp/dettrig_check   # the C kernels' portable variant (libm's fma): the same
//   GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA /tmp/dettrig_check 0.1 /lib/x86_64-linux-gnu/libm.so.6
//                                      # glibc's non-FMA variants: the mismatch rate against them
//   /tmp/dettrig_check bench           # ns per call, DetMath vs glibc
//
// Arguments: [scale (fraction of the default counts) | bench] [libm path].
#if canImport(Glibc)
import Glibc

@main
struct DetTrigCheck {
    typealias F1 = @convention(c) (Double) -> Double
    typealias F2 = @convention(c) (Double, Double) -> Double

    struct XS {   // xorshift64
        var s: UInt64
        mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
        mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
        mutating func sign(_ v: Double) -> Double { next() & 1 == 0 ? v : -v }
        mutating func ulpWalk(_ c: Double, _ w: Int) -> Double {
            let d = Int64(next() % UInt64(2 * w + 1)) - Int64(w)
            return sign(Double(bitPattern: UInt64(bitPattern: Int64(bitPattern: c.bitPattern) &+ d)))
        }
        mutating func log2Uniform(_ lo: Int, _ hi: Int) -> Double {
            sign(Double(sign: .plus, exponent: lo + Int(next() % UInt64(hi - lo)), significand: 1 + unit()))
        }
    }

    static func main() {
        let args = CommandLine.arguments
        let h = dlopen(args.count > 2 ? args[2] : "libm.so.6", RTLD_NOW)!
        let gsin = unsafeBitCast(dlsym(h, "sin")!, to: F1.self), gcos = unsafeBitCast(dlsym(h, "cos")!, to: F1.self)
        let gpow = unsafeBitCast(dlsym(h, "pow")!, to: F2.self)
        if args.count > 1 && args[1] == "bench" { return bench(gsin, gcos, gpow) }
        let scale = args.count > 1 ? Double(args[1])! : 1
        var rng = XS(s: 0x9E37_79B9_7F4A_7C15), total = 0, totalBad = 0, examples: [String] = []

        func run(_ name: String, _ n: Int, _ gen: (inout XS) -> Double) {
            let m = max(1, Int(Double(n) * scale))
            var bs = 0, bc = 0, bsc = 0
            for _ in 0..<m {
                let x = gen(&rng)
                let s = DetMath.sin(x), c = DetMath.cos(x), sc = DetMath.sincos(x)
                let es = s.bitPattern != gsin(x).bitPattern, ec = c.bitPattern != gcos(x).bitPattern
                if es { bs += 1 }; if ec { bc += 1 }
                if sc.sin.bitPattern != s.bitPattern || sc.cos.bitPattern != c.bitPattern { bsc += 1 }
                if es || ec { totalBad += 1; if examples.count < 20 { examples.append("\(name): x=\(x) sin \(s)/\(gsin(x)) cos \(c)/\(gcos(x))") } }
            }
            total += m
            print("sin/cos " + name + String(repeating: " ", count: max(0, 40 - name.count)), "n=\(m) sin≠\(bs) cos≠\(bc) sincos≠(sin,cos) \(bsc)")
        }
        func runPow(_ name: String, _ n: Int, _ gen: (inout XS) -> (Double, Double)) {
            let m = max(1, Int(Double(n) * scale))
            var bad = 0, notSquare = 0, fast = 0, fastBad = 0, closest = 1.0
            for _ in 0..<m {
                let (x, y) = gen(&rng)
                let a = y == 2 ? DetMath.libmSquare(x) : DetMath.powLibm(x, y), b = gpow(x, y)
                if y == 2 {
                    let sq = x * x
                    if DetMath.squareIsFarFromHalfway(x, sq) {
                        fast += 1
                        if sq.bitPattern != DetMath.powLibm(x, 2).bitPattern { fastBad += 1; totalBad += 1 }
                    }
                    if b.bitPattern != sq.bitPattern {
                        notSquare += 1
                        // how far from halfway the exact square was where glibc still rounded away from x*x
                        // (in the smaller gap next to sq; 0.5 = exactly halfway)
                        if x.magnitude >= 0x1p-64 && x.magnitude <= 0x1p64 {   // libmSquare's fast-path window
                            let err = (-sq).addingProduct(x, x)   // x² − sq, exact
                            let gap = sq - Double(bitPattern: sq.bitPattern &- 1)
                            closest = min(closest, err.magnitude / gap)
                        }
                    }
                }
                if a.bitPattern != b.bitPattern { bad += 1; totalBad += 1; if examples.count < 20 { examples.append("pow \(name): x=\(x) y=\(y) \(a)/\(b)") } }
            }
            total += m
            let squareNote = notSquare > 0 ? ", closest to halfway \((closest * 100_000).rounded(.down) / 100_000)" : ""
            print("pow " + name + String(repeating: " ", count: max(0, 44 - name.count)),
                  "n=\(m) mismatches=\(bad) (glibc pow(x,2)≠x*x: \(notSquare)\(squareNote); fast path \(fast), ≠ full pow: \(fastBad))")
        }

        let M = 1_000_000, pi = Double.pi
        run("uniform [-4,4]", 30 * M) { $0.unit() * 8 - 4 }
        run("uniform [-200,200]", 15 * M) { $0.unit() * 400 - 200 }
        run("uniform [-1e6,1e6]", 8 * M) { $0.unit() * 2e6 - 1e6 }
        run("near k·π/4, |k| ≤ 4096, ±2^20 ulp", 8 * M) { r in r.ulpWalk(Double(Int(r.next() % 4097)) * (pi / 4), 1 << 20) }
        run("near k·π/2, k ≤ 1e6, ±64 ulp", 4 * M) { r in r.ulpWalk(Double(r.next() % 1_000_001) * (pi / 2), 64) }
        run("nearest doubles to n·π/2, n < 2^26", 3 * M) { r in r.ulpWalk(Double(r.next() % (1 << 26)) * (pi / 2), 4) }
        run("tiny |x| < 2^-26", 3 * M) { r in r.log2Uniform(-1074, -26) }
        run("around 2^-27, 2^-26 (±2^16 ulp)", 2 * M) { r in r.ulpWalk(r.next() & 1 == 0 ? 0x1p-27 : 0x1p-26, 1 << 16) }
        run("around 0.126 (±2^20 ulp)", 3 * M) { r in r.ulpWalk(0.126, 1 << 20) }
        run("around 0.855469 (±2^20 ulp)", 3 * M) { r in r.ulpWalk(Double(bitPattern: 0x3FEB_6000_0000_0000), 1 << 20) }
        run("around 2.426265 (±2^20 ulp)", 3 * M) { r in r.ulpWalk(Double(bitPattern: 0x4003_68FD_0000_0000), 1 << 20) }
        run("around 105414350 (±2^20 ulp)", 3 * M) { r in r.ulpWalk(Double(bitPattern: 0x4199_21FB_0000_0000), 1 << 20) }
        run("around π/2 ± 0.126 (±2^22 ulp)", 2 * M) { r in r.ulpWalk([pi / 2 - 0.126, pi / 2 + 0.126, pi / 2][Int(r.next() % 3)], 1 << 22) }
        run("table edges (i+½)/128 (±2^12 ulp)", 4 * M) { r in r.ulpWalk((Double(r.next() % 110) + 0.5) / 128, 1 << 12) }
        run("table edges π/2 − (i+½)/128", 3 * M) { r in r.ulpWalk(pi / 2 - (Double(r.next() % 110) + 0.5) / 128, 1 << 12) }
        run("log-uniform [1, 2^21)", 4 * M) { r in r.log2Uniform(0, 21) }
        run("log-uniform [2^26, 2^1024) (branred)", 6 * M) { r in r.log2Uniform(26, 1024) }
        run("near k·π/2, k ≥ 7e7 (branred)", 2 * M) { r in r.ulpWalk((Double(r.next() >> 20) + 7e7) * (pi / 2), 8) }
        run("random bit patterns", 5 * M) { Double(bitPattern: $0.next()) }
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, .leastNonzeroMagnitude,
                                  .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, pi, -pi, pi / 2, pi / 4, 1, 105414350]
        var si = 0
        run("specials", Int(Double(specials.count) / min(scale, 1)) + 1) { _ in defer { si += 1 }; return specials[si % specials.count] }

        runPow("y=2, uniform |x| ≤ 30 (Acrobot)", 40 * M) { r in (r.unit() * 60 - 30, 2) }
        runPow("y=2, uniform |x| ≤ 4π", 20 * M) { r in (r.unit() * 8 * pi - 4 * pi, 2) }
        runPow("y=2, log-uniform 2^-30…2^30", 10 * M) { r in (r.log2Uniform(-30, 30), 2) }
        runPow("y=2, log-uniform all exponents", 10 * M) { r in (r.log2Uniform(-1074, 1024), 2) }
        runPow("y=2, near 1 (±2^20 ulp)", 5 * M) { r in (r.ulpWalk(1, 1 << 20), 2) }
        runPow("y=2, overflow/underflow edges (±2^20 ulp)", 5 * M) { r in (r.ulpWalk([0x1p512, 0x1p-511, 0x1p-537, 0x1p-1022, 0x1p-1074][Int(r.next() % 5)], 1 << 20), 2) }
        runPow("y=2, random bit patterns", 5 * M) { r in (Double(bitPattern: r.next()), 2) }
        runPow("x ∈ (0,10), y ∈ [-10,10]", 3 * M) { r in (r.unit() * 10, r.unit() * 20 - 10) }
        runPow("x, y random bit patterns", 2 * M) { r in (Double(bitPattern: r.next()), Double(bitPattern: r.next())) }
        let ps: [Double] = [0, -0.0, 1, -1, 2, -2, 0.5, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3, -3, 1e-300, 1e300]
        var pi2 = 0
        runPow("specials (all pairs)", Int(Double(ps.count * ps.count) / min(scale, 1)) + 1) { _ in defer { pi2 += 1 }; return (ps[pi2 % ps.count], ps[pi2 / ps.count % ps.count]) }

        print("TOTAL n=\(total) mismatches=\(totalBad) rate=\(Double(totalBad) / Double(total))")
        for e in examples { print(e) }
    }

    static func bench(_ gsin: F1, _ gcos: F1, _ gpow: F2) {
        func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
        var rng = XS(s: 12345), acc = 0.0
        func time(_ xs: [Double], _ f: (Double) -> Double) -> Double {
            var best = Double.infinity
            for _ in 0..<7 {
                let t0 = now()
                for _ in 0..<20 { for x in xs { acc += f(x) } }
                best = min(best, (now() - t0) / Double(20 * xs.count) * 1e9)
            }
            return (best * 10).rounded() / 10
        }
        for (lo, hi) in [(-0.2, 0.2), (-4.0, 4.0), (-200.0, 200.0), (1e9, 1e10)] {
            let xs = (0..<(1 << 16)).map { _ in lo + (hi - lo) * rng.unit() }
            print("x ∈ [\(lo), \(hi)]  ns/call: sin glibc \(time(xs) { gsin($0) }) DetMath \(time(xs) { DetMath.sin($0) });",
                  "cos glibc \(time(xs) { gcos($0) }) DetMath \(time(xs) { DetMath.cos($0) });",
                  "sin+cos glibc \(time(xs) { gsin($0) + gcos($0) }) DetMath.sincos \(time(xs) { let r = DetMath.sincos($0); return r.sin + r.cos })")
        }
        let ys = (0..<(1 << 16)).map { _ in rng.unit() * 60 - 30 }
        print("x ∈ [-30, 30]  ns/call: pow(x, 2) glibc \(time(ys) { gpow($0, 2) }) DetMath.libmSquare \(time(ys) { DetMath.libmSquare($0) })")
        if acc == 1.5 { print(acc) }
    }
}
#endif
