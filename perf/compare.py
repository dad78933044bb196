#!/usr/bin/env python3
"""perf/compare.py BASELINE.json RESULT.json [--latency-pct 10] [--throughput-pct 10]

Fails (exit 1) when RESULT regressed against BASELINE: probe round-trip p99 more than
latency-pct % higher, or sent throughput more than throughput-pct % lower. Exit 2 on bad input.
Both files are switchyard.bench.v1 results of the same profile (perf/run.sh)."""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline")
    ap.add_argument("result")
    ap.add_argument("--latency-pct", type=float, default=10.0)
    ap.add_argument("--throughput-pct", type=float, default=10.0)
    o = ap.parse_args()
    try:
        base, cur = (json.load(open(p)) for p in (o.baseline, o.result))
        for r in (base, cur):
            if r.get("schema") != "switchyard.bench.v1":
                raise ValueError("not a switchyard.bench.v1 result")
        if base["profile"] != cur["profile"]:
            raise ValueError("profiles differ: %s vs %s" % (base["profile"], cur["profile"]))
        checks = [
            ("p99 probe round trip (ns)", base["latency_ns"]["stages"]["probe_rtt"]["p99"],
             cur["latency_ns"]["stages"]["probe_rtt"]["p99"], "up", o.latency_pct),
            ("throughput (pps)", base["throughput"]["sent_pps"], cur["throughput"]["sent_pps"],
             "down", o.throughput_pct),
        ]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("perf/compare.py: %s" % e, file=sys.stderr)
        return 2
    failed = False
    for name, b, c, bad, pct in checks:
        change = (c - b) / b * 100.0 if b else 0.0
        regressed = change > pct if bad == "up" else change < -pct
        failed |= regressed
        print("%-28s baseline %14.1f  now %14.1f  %+7.1f%%  %s" %
              (name, b, c, change, "REGRESSION (limit %s%.0f%%)" % ("+" if bad == "up" else "-", pct)
               if regressed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
