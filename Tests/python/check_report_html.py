#!/usr/bin/env python3
"""report.html as a reader's browser sees it: headless Chromium (Debian's `chromium`).

Runs a small ACER sweep (summary, replay ratio, ablations and normalized-score tables; learning
curve plots), copies report.html ALONE into an empty folder and opens it there, so that anything it
needed besides itself (plots/*.svg, a stylesheet, a font, a script) would be missing. Checks:

- self-contained: over the DevTools protocol (--remote-debugging-pipe), the only request the page
  makes is for report.html itself, and nothing fails to load;
- no JavaScript errors (and no <script> at all: the report has none);
- the rendered DOM (chromium --dump-dom) holds every table of report/tables/*.csv with its rows and
  header, and one inline <svg> per report/plots/*.svg with its curves drawn (path.mean elements,
  a non-empty box in the laid-out page);
- a screenshot renders (a PNG of the page's top).

Then the same checks on a doctored copy (an <img> to a plot file next to it, a script that throws,
a table removed) must fail, proving they bite. Exit status 1 on any failure.

    python3 Tests/python/check_report_html.py --rlexp .build/release/rlexp
    python3 Tests/python/check_report_html.py --report results/acer_sweep_smoke --screenshot results/report_screenshot.png
"""
import argparse
import base64
import csv
import glob
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking", "--disable-component-update"]
SPEC = {
    "name": "report_html_check", "env": "CartPole-v1", "algo": "acer", "total_steps": 8000, "seeds": 2,
    "eval": {"interval": 2000, "episodes": 2},
    "hyperparameters": {"nenvs": 4, "nsteps": 20, "replay_ratio": 2, "replay_start": 320, "buffer_size": 1600},
    "sweep": [{"replay_ratio": [0, 2]}, {"trust_region": [False]}],
}


class CDP:
    """Chrome DevTools protocol over --remote-debugging-pipe (fd 3: commands in, fd 4: replies and
    events out, each message JSON terminated by a NUL byte)."""

    def __init__(self, chromium, profile):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():  # in the child: the pipe ends at 3 and 4, inheritable (os.pipe's are close-on-exec)
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen([chromium] + CHROMIUM_FLAGS + ["--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=fds, close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=20):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for m in self.events:
                if m.get("method") == method:
                    return m
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)


# what the laid-out page holds, evaluated in it
PAGE_FACTS = """JSON.stringify({
  tables: [...document.querySelectorAll('table')].map(t => t.querySelectorAll('tbody tr').length),
  svgs: [...document.querySelectorAll('figure > svg')].map(s => {
    const r = s.getBoundingClientRect();
    return {file: s.parentElement.dataset.file, width: r.width, height: r.height,
            means: s.querySelectorAll('path.mean').length, title: (s.querySelector('title') || {}).textContent || ''};
  }),
  imgs: document.images.length, scripts: document.scripts.length,
  height: document.documentElement.scrollHeight
})"""


def browse(chromium, page, screenshot=None):
    """Open `page` (a file path) in headless Chromium over DevTools: the requests it made, failed
    loads, JavaScript exceptions and console errors, facts about the laid-out DOM, and a PNG."""
    profile = tempfile.mkdtemp(prefix="rlexp-chromium-")
    cdp = CDP(chromium, profile)
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ["Page", "Network", "Runtime", "Log"]:
            cdp.call(f"{domain}.enable", session=s)
        cdp.call("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": False}, session=s)
        cdp.events.clear()
        url = "file://" + os.path.abspath(page)
        cdp.call("Page.navigate", {"url": url}, session=s)
        cdp.wait_event("Page.loadEventFired")
        facts = json.loads(cdp.call("Runtime.evaluate", {"expression": PAGE_FACTS, "returnByValue": True}, session=s)["result"]["value"])
        png = base64.b64decode(cdp.call("Page.captureScreenshot", {"format": "png"}, session=s)["data"])
        if screenshot:
            with open(screenshot, "wb") as f:
                f.write(png)
        ev = [m for m in cdp.events if m.get("sessionId") == s]
        requests = [m["params"]["request"]["url"] for m in ev if m.get("method") == "Network.requestWillBeSent"]
        failed = [m["params"].get("errorText", "") for m in ev if m.get("method") == "Network.loadingFailed"]
        exceptions = [m["params"]["exceptionDetails"].get("exception", {}).get("description") or m["params"]["exceptionDetails"].get("text")
                      for m in ev if m.get("method") == "Runtime.exceptionThrown"]
        console = [m["params"]["entry"]["text"] for m in ev if m.get("method") == "Log.entryAdded" and m["params"]["entry"]["level"] == "error"]
        return {"url": url, "requests": requests, "failed": failed, "exceptions": exceptions, "console": console, "facts": facts, "png": png}
    finally:
        cdp.close()
        shutil.rmtree(profile, ignore_errors=True)


class DOMTables(html.parser.HTMLParser):
    """Tables (header cells and body rows, as text) and inline SVG roots of a dumped DOM."""

    def __init__(self):
        super().__init__()
        self.tables, self.svg_files, self.cell, self.row, self.in_svg = [], [], None, None, 0
        self.figure_file = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figure_file = a.get("data-file")
        elif tag == "svg":
            if self.in_svg == 0:
                self.svg_files.append(self.figure_file)
            self.in_svg += 1
        elif tag == "table":
            self.tables.append({"header": [], "rows": []})
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg -= 1
        elif tag == "figure":
            self.figure_file = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            t = self.tables[-1]
            if t["header"] == [] and not t["rows"]:
                t["header"] = self.row
            else:
                t["rows"].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def dump_dom(chromium, page):
    profile = tempfile.mkdtemp(prefix="rlexp-chromium-")
    try:
        p = subprocess.run([chromium] + CHROMIUM_FLAGS + [f"--user-data-dir={profile}", "--dump-dom", "file://" + os.path.abspath(page)],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"chromium --dump-dom exited {p.returncode}: {p.stderr[-500:]}")
        return p.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def problems(chromium, report_dir, page):
    """Everything wrong with `page` (a copy of report_dir/report.html standing alone) against the
    report folder's tables/*.csv and plots/*.svg; empty when it passes."""
    out = []
    b = browse(chromium, page)
    extra = [u for u in b["requests"] if u != b["url"]]
    if extra:
        out.append(f"requests besides the page itself: {extra}")
    if b["failed"]:
        out.append(f"failed loads: {b['failed']}")
    if b["exceptions"] or b["console"]:
        out.append(f"JavaScript or console errors: {b['exceptions'] + b['console']}")
    f = b["facts"]
    if f["scripts"]:
        out.append(f"{f['scripts']} <script> element(s)")
    if f["imgs"]:
        out.append(f"{f['imgs']} <img> element(s): plots must be inline SVG")
    if not b["png"].startswith(b"\x89PNG") or len(b["png"]) < 10000:
        out.append(f"screenshot is not a rendered PNG ({len(b['png'])} bytes)")

    plots = sorted(os.path.relpath(p, report_dir) for p in glob.glob(os.path.join(report_dir, "plots", "*.svg")))
    laid_out = {s["file"]: s for s in f["svgs"]}
    if sorted(laid_out) != plots:
        out.append(f"inline plots {sorted(laid_out)} != plot files {plots}")
    for name, s in laid_out.items():
        if s["width"] < 300 or s["height"] < 150 or s["means"] < 1 or not s["title"]:
            out.append(f"plot {name} not drawn: {s}")

    dom = DOMTables()
    dom.feed(dump_dom(chromium, page))
    if sorted(dom.svg_files) != plots:
        out.append(f"dumped DOM's inline SVGs {dom.svg_files} != plot files {plots}")
    csvs = sorted(glob.glob(os.path.join(report_dir, "tables", "*.csv")))
    if len(dom.tables) != len(csvs) or len(f["tables"]) != len(csvs):
        out.append(f"{len(dom.tables)} tables in the DOM ({len(f['tables'])} laid out), {len(csvs)} in tables/")
    # each CSV's table is in the DOM: same number of body rows, same first column
    for path in csvs:
        rows = list(csv.reader(open(path, encoding="utf-8")))
        match = [t for t in dom.tables if len(t["rows"]) == len(rows) - 1 and t["header"][:1] == rows[0][:1]
                 and [r[0] for r in t["rows"]] == [r[0] for r in rows[1:]]]
        if not match:
            out.append(f"no table in the DOM matches {os.path.basename(path)}")
    return out, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    ap.add_argument("--report", help="check this results folder's report instead of running the small sweep")
    ap.add_argument("--screenshot", help="also write a screenshot of the page's top here")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()
    t0 = time.monotonic()
    if not shutil.which(args.chromium):
        sys.exit(f"FAIL: {args.chromium} not found (make chromium-deps installs Debian's chromium)")
    tmp = tempfile.mkdtemp(prefix="rlexp-report-html-")
    failures = 0
    try:
        if args.report:
            results = os.path.abspath(args.report)
        else:
            spec = os.path.join(tmp, "spec.json")
            json.dump(SPEC, open(spec, "w"))
            results = os.path.join(tmp, "results")
            p = subprocess.run([os.path.abspath(args.rlexp), "run", spec, "--out", results, "--jobs", "2"], capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"FAIL: rlexp run exited {p.returncode}: {p.stderr[-2000:]}")
        report_dir = os.path.join(results, "report")
        alone = os.path.join(tmp, "alone")
        os.makedirs(alone)
        page = os.path.join(alone, "report.html")
        shutil.copy(os.path.join(report_dir, "report.html"), page)

        found, b = problems(args.chromium, report_dir, page)
        for p in found:
            print(f"FAIL: report.html: {p}")
        failures += len(found)
        if not found:
            f = b["facts"]
            print(f"ok: report.html alone in an empty folder: 1 request (itself), no JavaScript errors, "
                  f"{len(f['tables'])} tables, {len(f['svgs'])} inline SVG plots drawn, page {f['height']} px high")
        if args.screenshot:
            browse(args.chromium, page, screenshot=args.screenshot)
            print(f"ok: screenshot {args.screenshot}")

        # the checks bite: a plot as an <img> beside the page, a throwing script, a dropped table
        html = open(page, encoding="utf-8").read()
        cut = html.index("<div class=\"table-wrap\">")
        doctored = (html[:cut] + html[html.index("</table></div>\n", cut) + len("</table></div>\n"):])
        doctored = doctored.replace("</main>", "<img src=\"plots/learning_curves.svg\"><script>throw new Error('doctored')</script></main>")
        bad = os.path.join(alone, "doctored.html")
        open(bad, "w", encoding="utf-8").write(doctored)
        found, _ = problems(args.chromium, report_dir, bad)
        for want in ["requests besides the page itself", "failed loads", "JavaScript or console errors", "<script>", "<img>", "tables in the DOM"]:
            if not any(want in p for p in found):
                print(f"FAIL: the doctored report.html was not flagged for {want!r} (found: {found})")
                failures += 1
        if len(found) >= 6:
            print(f"ok: a doctored copy is flagged ({len(found)} problems: external request, failed load, script error, <script>, <img>, missing table)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"check_report_html: {'FAILED' if failures else 'passed'} in {time.monotonic() - t0:.1f} s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
