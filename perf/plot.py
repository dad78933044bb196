#!/usr/bin/env python3
"""perf/plot.py RESULT.json OUT.svg: the round-trip latency distribution (log-linear buckets,
log time axis) and the sent rate and p99 round trip over time, as one SVG. Standard library."""
import json
import math
import sys
from xml.sax.saxutils import escape

W, H, PAD = 900, 300, 60


def axis(parts, x0, y0, w, h, title, xlabel, ylabel):
    parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (x0, y0, w, h))
    parts.append('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>' % (x0, y0 - 8, escape(title)))
    parts.append('<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>' % (x0 + w / 2, y0 + h + 32, escape(xlabel)))
    parts.append('<text x="%d" y="%d" font-size="11" transform="rotate(-90 %d %d)" text-anchor="middle">%s</text>'
                 % (x0 - 45, y0 + h / 2, x0 - 45, y0 + h / 2, escape(ylabel)))


def fmt_ns(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= div:
            return "%g %s" % (round(ns / div, 1), unit)
    return "%d ns" % ns


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    r = json.load(open(sys.argv[1]))
    parts = []
    # 1. latency distribution: share of probes per bucket over a log time axis.
    hist = r.get("rtt_histogram", [])
    x0, y0, w, h = PAD, 40, W - 2 * PAD, H - 90
    stages = r["latency_ns"]["stages"]["probe_rtt"]
    axis(parts, x0, y0, w, h, "Probe round trip: %s (p50 %s, p99 %s, p99.9 %s)" % (
        r["profile"], fmt_ns(stages["p50"]), fmt_ns(stages["p99"]), fmt_ns(stages["p999"])),
        "round trip (log scale)", "share of probes")
    if hist:
        lo = math.log10(max(hist[0][0], 1))
        hi = math.log10(max(hist[-1][1], hist[0][0] + 2))
        total = sum(c for _, _, c in hist)
        top = max(c for _, _, c in hist) / total
        for a, b, c in hist:
            xa = x0 + (math.log10(max(a, 1)) - lo) / (hi - lo) * w
            xb = x0 + (math.log10(max(b, 1)) - lo) / (hi - lo) * w
            bh = (c / total) / top * h
            parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#3a7"/>'
                         % (xa, y0 + h - bh, max(xb - xa, 0.8), bh))
        for e in range(int(math.floor(lo)), int(math.ceil(hi)) + 1):
            x = x0 + (e - lo) / (hi - lo) * w
            if x0 <= x <= x0 + w:
                parts.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>' % (x, y0 + h + 14, fmt_ns(10 ** e)))
    # 2. rate and p99 over time.
    tl = r.get("timeline", [])
    y1 = H + 40
    axis(parts, x0, y1, w, h, "Sent rate (blue) and p99 round trip per 100 ms (red)", "time (ms)", "pps / ns (scaled)")
    if tl:
        tmax = max(p["t_ms"] for p in tl) or 1
        for key, colour in (("tx_pps", "#36c"), ("rtt_p99_ns", "#c33")):
            vmax = max(p[key] for p in tl) or 1
            pts = " ".join("%.1f,%.1f" % (x0 + p["t_ms"] / tmax * w, y1 + h - p[key] / vmax * h) for p in tl)
            parts.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>' % (pts, colour))
            parts.append('<text x="%d" y="%d" font-size="10" fill="%s">max %s</text>' % (
                x0 + w - 150, y1 + 14 + (0 if key == "tx_pps" else 14), colour,
                ("%d pps" % vmax) if key == "tx_pps" else fmt_ns(vmax)))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">'
           '<rect width="100%%" height="100%%" fill="white"/>%s</svg>\n' % (W, 2 * H + 20, "".join(parts)))
    with open(sys.argv[2], "w") as f:
        f.write(svg)


if __name__ == "__main__":
    main()
