#!/usr/bin/env python3
"""Combines one perf/run.sh run into a switchyard.bench.v1 result
(docs/contracts/bench_result.schema.json). Standard library only."""
import argparse
import datetime
import json
import os
import socket
import subprocess


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rtt(gen):
    r = gen["rtt_ns"]
    return {k: r[k] for k in ("count", "p50", "p90", "p99", "p999", "max", "mean")}


def fio_ceiling(fio, fs):
    if not fio or not fio.get("jobs"):
        return {"ok": False, "filesystem": fs}
    w = fio["jobs"][0]["write"]
    pct = w.get("clat_ns", {}).get("percentile", {})
    return {
        "ok": True,
        "filesystem": fs,
        "engine": "io_uring",
        "direct": True,
        "block_bytes": 65536,
        "write_mib_s": round(w["bw"] / 1024.0, 1),
        "iops": round(w["iops"], 1),
        "clat_p50_ns": int(pct.get("50.000000", 0)),
        "clat_p99_ns": int(pct.get("99.000000", 0)),
    }


def main():
    ap = argparse.ArgumentParser()
    for a in ("profile", "profile-file", "appliance", "reference", "summary", "fio", "fs", "out"):
        ap.add_argument("--" + a, required=True)
    o = ap.parse_args()
    app, ref = load(o.appliance), load(o.reference)
    summary = load(o.summary) or {}
    if app is None:
        raise SystemExit("bench_result: no generator result from the appliance run: " + o.appliance)
    drops = {}
    for group in ("ports", "tx_ports"):
        for port in (summary.get(group) or {}).values():
            for reason, n in port.get("drops", {}).items():
                drops[reason] = drops.get(reason, 0) + n
    commit = subprocess.run(["git", "-C", os.path.dirname(o.profile_file), "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    result = {
        "schema": "switchyard.bench.v1",
        "profile": o.profile,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "git_commit": commit,
        "host": {"name": socket.gethostname(), "cpus": os.cpu_count(),
                 "load_avg_1m": os.getloadavg()[0]},
        "link": "memif",
        "host_noise": {"appliance_run": app.get("host_noise"),
                       "reference_run": ref.get("host_noise") if ref else None},
        "throughput": {
            "target_pps": app["rate_pps_target"],
            "sent_pps": app["achieved_pps"],
            "data_frames": app["sent"]["data_frames"],
            "appliance_received": sum(p.get("received", 0) for p in (summary.get("ports") or {}).values()),
            "appliance_delivered": sum(p.get("delivered", 0) for p in (summary.get("ports") or {}).values()),
        },
        "latency_ns": {"stages": {"probe_rtt": rtt(app)}},
        "drops": {"by_reason": drops, "lost": summary.get("lost"),
                  "exit_code": summary.get("exit_code"),
                  "probes_lost": app.get("probes_lost", 0)},
        "reference": {
            "testpmd_macswap": ({"sent_pps": ref["achieved_pps"], "rtt_ns": rtt(ref),
                                 "probes_lost": ref.get("probes_lost", 0)} if ref else None),
            "fio": fio_ceiling(load(o.fio), o.fs),
        },
        "timeline": app.get("timeline", []),
        "rtt_histogram": app.get("rtt_histogram", []),
    }
    if ref and ref["achieved_pps"] and ref["rtt_ns"]["p99"]:
        result["ratios"] = {
            "throughput_vs_testpmd": round(app["achieved_pps"] / ref["achieved_pps"], 4),
            "p50_rtt_vs_testpmd": round(app["rtt_ns"]["p50"] / max(ref["rtt_ns"]["p50"], 1), 4),
            "p99_rtt_vs_testpmd": round(app["rtt_ns"]["p99"] / ref["rtt_ns"]["p99"], 4),
        }
    with open(o.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
