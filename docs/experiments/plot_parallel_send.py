#!/usr/bin/env python3
"""Draws the parallel-send experiment's scaling chart from a sweep of scenarios/parallel_send.yaml:
goodput against processing elements, one line per link rate and order mode (3 GHz cores), with
the analytic N f / c line. Plain SVG, no dependencies:
    build/hostwire sweep scenarios/parallel_send.yaml --out out/ps
    docs/experiments/plot_parallel_send.py out/ps docs/img
"""
import glob
import json
import os
import sys

COLOURS = {("40Gbps", "doorbell"): "#1f77b4", ("40Gbps", "free"): "#aec7e8",
           ("100Gbps", "doorbell"): "#d62728", ("100Gbps", "free"): "#ff9896",
           ("10Gbps", "doorbell"): "#2ca02c", ("10Gbps", "free"): "#98df8a"}
PES = [1, 2, 4, 8]
C = 0.3 + 0.25 * 1480 / 1448 + 1200 / 1448 + 2300 / 65160  # cycles/B a PE spends (docs/experiments/parallel_send.md)


def load(sweep):
    points = []
    for report in glob.glob(os.path.join(sweep, "points", "*", "report.json")):
        r = json.load(open(report))
        points.append((r["scenario"]["parameters"], r["metrics"]))
    return points


def param(p, key):
    return str(p.get(key, "")).replace(" ", "")


def main():
    sweep, out = sys.argv[1], sys.argv[2]
    lines = {}
    for p, m in load(sweep):
        if param(p, "host_a.cpu.clock") not in ("3GHz", "3000000000Hz"):
            continue
        key = (param(p, "link0.rate"), param(p, "host_a.tcp.parallel.order"))
        lines.setdefault(key, {})[int(float(param(p, "host_a.tcp.parallel.pes")))] = \
            m["workloads.bulk.rx_goodput"]["value"] / 1e9
    w, h, left, bottom, top_pad = 560, 340, 50, 40, 20
    top = 100.0
    sx = lambda n: left + (PES.index(n)) * (w - left - 150) / (len(PES) - 1)
    sy = lambda g: h - bottom - g / top * (h - bottom - top_pad)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14">goodput (Gbit/s) vs PEs, 3 GHz cores, 20 ms runs</text>']
    for k in range(5):
        y = sy(top * k / 4)
        svg.append(f'<line x1="{left}" x2="{w - 150}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{top * k / 4:.0f}</text>')
    for n in PES:
        svg.append(f'<text x="{sx(n)}" y="{h - bottom + 14}" text-anchor="middle">{n}</text>')
    ideal = " ".join(f"{sx(n)},{sy(min(top, n * 3e9 / C * 8 / 1e9))}" for n in PES)
    svg.append(f'<polyline points="{ideal}" fill="none" stroke="#999" stroke-dasharray="4 3"/>')
    legend = [("N f / c", "#999")]
    for key in sorted(lines):
        pts = " ".join(f"{sx(n)},{sy(g)}" for n, g in sorted(lines[key].items()) if n in PES)
        colour = COLOURS.get(key, "#000")
        svg.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend.append((f"{key[0]} {key[1]}", colour))
    for j, (label, colour) in enumerate(legend):
        svg.append(f'<rect x="{w - 140}" y="{30 + j * 16}" width="10" height="10" fill="{colour}"/>')
        svg.append(f'<text x="{w - 126}" y="{39 + j * 16}">{label}</text>')
    svg.append("</svg>")
    open(os.path.join(out, "parallel_send_scaling.svg"), "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
