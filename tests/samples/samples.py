#!/usr/bin/python3
"""The labelled sample corpus: manifest parsing, checks, and the TAP runner.

samples/manifest.yml is written in a small subset of YAML so that no YAML library is
needed (python3-yaml is not a build dependency): a top-level `samples:` key holding a list
of flat mappings, one `key: value` per line, values being plain scalars, `true`/`false`,
or flow lists `[a, b]` of plain scalars. Comments start with `#` at the start of a line.
Any other construct is rejected with file:line.

    python3 samples.py check SAMPLES_DIR          validate the manifest against the tree
    python3 samples.py list SAMPLES_DIR           one TSV line per sample
    python3 samples.py run SANDTRAP BUILD_DIR SAMPLES_DIR [SUBSTRING]   (run-samples.sh)
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

KEYS = {"path", "kind", "verdict", "techniques", "args", "user"}
KINDS = {"script", "c"}
VERDICTS = {"malicious", "suspicious", "clean"}
TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
SCALAR = re.compile(r"^[A-Za-z0-9_./:@%+=,-]*$")


class ManifestError(Exception):
    pass


def parse_scalar(text, where):
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        items = [i.strip() for i in inner.split(",")] if inner else []
        for i in items:
            if not i or not SCALAR.match(i) or "," in i:
                raise ManifestError("%s: bad list item %r" % (where, i))
        return items
    if text in ("true", "false"):
        return text == "true"
    if not SCALAR.match(text) or not text:
        raise ManifestError("%s: bad value %r (plain scalars only)" % (where, text))
    return text


def parse_manifest(path):
    entries = []
    cur = None
    seen_root = False
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            where = "%s:%d" % (path, no)
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line == "samples:":
                if seen_root:
                    raise ManifestError("%s: second samples: key" % where)
                seen_root = True
                continue
            if not seen_root:
                raise ManifestError("%s: expected 'samples:' first" % where)
            m = re.match(r"^  - ([a-z]+): (.*)$", line) or re.match(r"^    ([a-z]+): (.*)$", line)
            if not m:
                raise ManifestError("%s: cannot parse %r" % (where, line))
            key, value = m.group(1), parse_scalar(m.group(2), where)
            if key not in KEYS:
                raise ManifestError("%s: unknown key %r" % (where, key))
            if line.startswith("  - "):
                cur = {"line": no}
                entries.append(cur)
            elif cur is None:
                raise ManifestError("%s: key outside an entry" % where)
            if key in cur:
                raise ManifestError("%s: duplicate key %r" % (where, key))
            cur[key] = value
    for e in entries:
        where = "%s:%d" % (path, e["line"])
        for k in ("path", "kind", "verdict", "techniques"):
            if k not in e:
                raise ManifestError("%s: missing %r" % (where, k))
        e.setdefault("args", [])
        e.setdefault("user", False)
        if e["kind"] not in KINDS:
            raise ManifestError("%s: kind must be one of %s" % (where, sorted(KINDS)))
        if e["verdict"] not in VERDICTS:
            raise ManifestError("%s: verdict must be one of %s" % (where, sorted(VERDICTS)))
        if not isinstance(e["techniques"], list) or not isinstance(e["args"], list):
            raise ManifestError("%s: techniques and args are lists" % where)
        for t in e["techniques"]:
            if not TECHNIQUE.match(t):
                raise ManifestError("%s: bad technique id %r" % (where, t))
        if not isinstance(e["user"], bool):
            raise ManifestError("%s: user is true or false" % where)
        if e["verdict"] != "clean" and not e["techniques"]:
            raise ManifestError("%s: a %s sample names its techniques" % (where, e["verdict"]))
        if e["verdict"] == "clean" and e["techniques"]:
            raise ManifestError("%s: a clean sample has no techniques" % where)
        cls = e["path"].split("/")[0]
        if cls not in ("malicious", "benign"):
            raise ManifestError("%s: path must start with malicious/ or benign/" % where)
        if (cls == "benign") != (e["verdict"] == "clean"):
            raise ManifestError("%s: benign samples are clean, malicious ones are not" % where)
        if e["kind"] == "c" and not re.match(r"^(malicious|benign)/src/[a-z0-9-]+\.c$", e["path"]):
            raise ManifestError("%s: a c sample is CLASS/src/NAME.c" % where)
    paths = [e["path"] for e in entries]
    dups = {p for p in paths if paths.count(p) > 1}
    if dups:
        raise ManifestError("%s: listed twice: %s" % (path, ", ".join(sorted(dups))))
    return entries


def problems(samples_dir, entries):
    """Everything wrong with the tree against the manifest (empty list: fine)."""
    out = []
    listed = {e["path"] for e in entries}
    on_disk = set()
    for cls in ("malicious", "benign"):
        for root, _, files in os.walk(os.path.join(samples_dir, cls)):
            for f in files:
                on_disk.add(os.path.relpath(os.path.join(root, f), samples_dir))
    for p in sorted(on_disk - listed):
        out.append("not in the manifest: " + p)
    for p in sorted(listed - on_disk):
        out.append("listed but missing: " + p)
    for p in sorted(on_disk):
        full = os.path.join(samples_dir, p)
        if os.stat(full).st_mode & 0o111:
            out.append("executable: " + p)
        head = open(full, encoding="utf-8", errors="replace").read(1200).lower()
        if "harmless test sample" not in head:
            out.append("no 'harmless test sample' header: " + p)
    return out


def binary_for(entry, samples_dir, build_dir):
    if entry["kind"] == "script":
        return os.path.join(samples_dir, entry["path"])
    cls, _, name = entry["path"].split("/")
    return os.path.join(build_dir, "samples", "%s-%s" % (cls, name[:-2]))


def analyse(sandtrap, entry, src, work, keep):
    """Run one sample in the guest; returns (report dict or None, detail)."""
    ident = entry["path"].replace("/", "_")
    base = os.path.basename(entry["path"])
    if entry["kind"] == "c":
        base = base[:-2]
    d = os.path.join(work, ident)
    os.mkdir(d)
    obj = os.path.join(d, base)
    shutil.copyfile(src, obj)
    os.chmod(obj, 0o644)
    rdir = os.path.join(keep or work, ident + ".report")
    cmd = [sandtrap, "analyze", "--json", "--timeout", "10", "--report-dir", rdir]
    if entry["user"]:
        cmd.append("--user")
    for a in entry["args"]:
        cmd += ["--arg", a]
    cmd.append(obj)
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "sandtrap did not return within 60 s"
    ms = int((time.monotonic() - start) * 1000)
    if p.returncode not in (0, 1, 3):
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return None, "exit status %d: %s" % (p.returncode, err[-1] if err else "")
    try:
        report = json.loads(p.stdout)
    except ValueError as exc:
        return None, "no JSON report: %s" % exc
    return report, "%d ms" % ms


def run(argv):
    if len(argv) < 3:
        print("usage: samples.py run SANDTRAP BUILD_DIR SAMPLES_DIR [SUBSTRING]", file=sys.stderr)
        return 2
    sandtrap, build_dir, samples_dir = (os.path.abspath(a) for a in argv[:3])
    only = argv[3] if len(argv) > 3 else ""
    manifest = os.path.join(samples_dir, "manifest.yml")
    try:
        entries = parse_manifest(manifest)
    except (OSError, ManifestError) as exc:
        print("1..1\nnot ok 1 - the manifest parses\n# %s" % exc)
        return 1
    entries = [e for e in entries if only in e["path"]]
    plan = 2 + 3 * len(entries)
    print("1..%d" % plan, flush=True)
    n = [0]
    failed = [0]

    def ok(good, what, directive=""):
        n[0] += 1
        if not good and not directive:
            failed[0] += 1
        print("%s %d - %s%s" % ("ok" if good else "not ok", n[0], what,
                                " # " + directive if directive else ""), flush=True)

    bad = problems(samples_dir, parse_manifest(manifest))
    ok(not bad, "the manifest lists every sample, none executable, each with its header")
    for b in bad:
        print("# " + b)
    missing = [e["path"] for e in entries if not os.path.isfile(binary_for(e, samples_dir, build_dir))]
    ok(not missing, "every sample (C ones built) is present")
    for m in missing:
        print("# missing: " + binary_for([e for e in entries if e["path"] == m][0], samples_dir, build_dir))

    keep = os.environ.get("SANDTRAP_SAMPLES_KEEP")
    if keep:
        os.makedirs(keep, exist_ok=True)
    jobs = max(1, int(os.environ.get("SANDTRAP_SAMPLES_JOBS", "2")))
    work = tempfile.mkdtemp(prefix="sandtrap-samples.")
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futs = []
            for e in entries:
                src = binary_for(e, samples_dir, build_dir)
                if os.path.isfile(src):
                    futs.append((e, pool.submit(analyse, sandtrap, e, src, work, keep)))
                else:
                    futs.append((e, None))
            for e, fut in futs:
                name = e["path"]
                report, detail = fut.result() if fut else (None, "not built")
                outcome = report.get("analysis", {}).get("outcome") if report else None
                ran = outcome in ("exited", "timeout")
                ok(ran, "%s: ran in the guest (%s, %s)" % (name, outcome, detail))
                v = (report or {}).get("verdict") or {}
                if not v.get("computed"):
                    skip = "SKIP no detection engine yet" if report else "SKIP no report"
                    ok(True, "%s: verdict is %s" % (name, e["verdict"]), skip)
                    ok(True, "%s: techniques include %s" % (name, ",".join(e["techniques"]) or "nothing"), skip)
                    continue
                ok(v.get("result") == e["verdict"],
                   "%s: verdict is %s (got %s, threat %s)" % (name, e["verdict"], v.get("result"), v.get("threat")))
                got = set(v.get("techniques") or [])
                missing_t = [t for t in e["techniques"] if t not in got]
                ok(not missing_t, "%s: techniques include %s (got %s)" % (
                    name, ",".join(e["techniques"]) or "nothing", ",".join(sorted(got)) or "none"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed[0] else 0


def repeat(argv):
    """Each chosen sample N times: the verdict, score, threat and techniques never vary."""
    if len(argv) < 5:
        print("usage: samples.py repeat SANDTRAP BUILD_DIR SAMPLES_DIR N PATH...", file=sys.stderr)
        return 2
    sandtrap, build_dir, samples_dir = (os.path.abspath(a) for a in argv[:3])
    times = int(argv[3])
    entries = parse_manifest(os.path.join(samples_dir, "manifest.yml"))
    chosen = [e for e in entries if e["path"] in argv[4:]]
    print("1..%d" % len(argv[4:]), flush=True)
    failed = 0
    work = tempfile.mkdtemp(prefix="sandtrap-repeat.")
    jobs = max(1, int(os.environ.get("SANDTRAP_SAMPLES_JOBS", "2")))
    try:
        for i, path in enumerate(argv[4:], 1):
            e = next((c for c in chosen if c["path"] == path), None)
            seen, why = set(), ""
            if e is None:
                why = "not in the manifest"
            else:
                src = binary_for(e, samples_dir, build_dir)
                with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                    futs = []
                    for k in range(times):
                        d = os.path.join(work, "%d-%d" % (i, k))
                        os.mkdir(d)
                        futs.append(pool.submit(analyse, sandtrap, e, src, d, None))
                    for f in futs:
                        report, detail = f.result()
                        v = (report or {}).get("verdict") or {}
                        seen.add((v.get("result"), v.get("score"), v.get("threat"),
                                  tuple(v.get("techniques") or []), detail if not report else ""))
            good = e is not None and len(seen) == 1
            failed += not good
            print("%s %d - %s: the same verdict, score, threat and techniques %d times%s" % (
                "ok" if good else "not ok", i, path, times,
                "" if good else " (%s)" % (why or sorted(map(str, seen)))), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 2 and argv[0] in ("check", "list"):
        try:
            entries = parse_manifest(os.path.join(argv[1], "manifest.yml"))
        except (OSError, ManifestError) as exc:
            print(exc, file=sys.stderr)
            return 1
        if argv[0] == "list":
            for e in entries:
                print("\t".join([e["path"], e["kind"], e["verdict"], ",".join(e["techniques"]),
                                 " ".join(e["args"]), "user" if e["user"] else ""]))
            return 0
        bad = problems(argv[1], entries)
        for b in bad:
            print(b, file=sys.stderr)
        mal = sum(1 for e in entries if e["path"].startswith("malicious/"))
        print("%d samples: %d malicious-behaving, %d benign; %d techniques" % (
            len(entries), mal, len(entries) - mal,
            len({t for e in entries for t in e["techniques"]})))
        return 1 if bad else 0
    if argv and argv[0] == "run":
        return run(argv[1:])
    if argv and argv[0] == "repeat":
        return repeat(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
