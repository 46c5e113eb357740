#!/usr/bin/env python3
"""Schema verdicts of swcompose against Docker Compose v2.40.3 over the whole corpus.

For every Compose file of the corpus (the MANIFEST.tsv rows oracle-diff.py uses), compares the
oracle's schema verdict (its error starts with "validating FILE: ") with swcompose's:

  false reject   the oracle accepts the file, swcompose reports a schema violation
  false accept   the oracle reports a schema violation, swcompose does not
  same text      both report one, and swcompose's message contains the oracle's text
  other text     both report one, with different texts

Oracle outputs come from the cache oracle-diff.py fills (.oracle/cache).

  scripts/schema-check.py [--filter SUBSTRING] [--swcompose PATH] [--verbose]
"""
import argparse, os, re, sys, concurrent.futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util
spec = importlib.util.spec_from_file_location("oracle_diff", os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle-diff.py"))
od = importlib.util.module_from_spec(spec)
spec.loader.exec_module(od)

# The rule texts swcompose's schema messages are made of (SchemaFailure.dockerDetail).
SCHEMA_TEXT = re.compile(r"(additional propert(y|ies) .* not allowed|must be an? [a-z, ]+\b|value must be|"
                         r"does not match pattern|missing propert|oneOf failed|items at \d+ and \d+ are equal|"
                         r"must be (greater|less) than|min(Items|Length|Properties): got|"
                         r"max(Items|Length|Properties): got|false schema|not failed|is not valid)")


def oracle_schema_text(err):
    for line in err.splitlines():
        m = re.match(r"validating [^:]*: (.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="")
    ap.add_argument("--swcompose", default=os.path.join(od.ROOT, ".build", "debug", "swcompose"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    files = [f for f in od.compose_files() if args.filter in f]

    def one(f):
        oc, _, oerr = od.oracle(f)
        sc, _, serr = od.run(args.swcompose, f)
        want = oracle_schema_text(oerr) if oc != 0 else None
        ours = serr.strip() if sc != 0 and SCHEMA_TEXT.search(serr) else None
        if want is None:
            if ours is None: return f, "agree", ""
            return f, ("false reject" if oc == 0 else "schema error, oracle fails otherwise"), ours
        if ours is None:
            return f, "false accept", f"oracle: {want}\n      swcompose: rc {sc} {serr.strip()[:200]}"
        return f, ("same text" if want in ours else "other text"), f"oracle: {want}\n      swcompose: {ours}"

    counts = {}
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        for f, verdict, detail in ex.map(one, files):
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict not in ("agree", "same text") or args.verbose:
                print(f"{verdict}: {f}\n      {detail}")
    print(f"\n{len(files)} files: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
