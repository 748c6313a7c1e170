#!/usr/bin/env python3
"""Draws the message-buffering experiment's two charts from a sweep of
scenarios/message_buffering.yaml (length-prefix framing): wake-ups per message and message
latency p99 for each size and arrival rate, one bar per consumer mode. Plain SVG, no
dependencies, so the figures in docs/experiments/message_buffering.md can be redrawn anywhere:
    build/hostwire sweep scenarios/message_buffering.yaml --out out/mb
    docs/experiments/plot_message_buffering.py out/mb docs/img
"""
import glob
import json
import os
import sys

MODES = ["stream", "message", "condition"]
SIZES = ["256B", "4KiB", "16KiB"]
RATES = ["20000", "50000", "0"]
COLOURS = {"stream": "#4e79a7", "message": "#f28e2b", "condition": "#59a14f"}


def load(sweep):
    """Points of the length-prefix framing, keyed by (mode, size, rate); the grid order is the
    scenario's axes, the last one (framing) fastest."""
    points = {}
    for path in glob.glob(os.path.join(sweep, "points", "*", "report.json")):
        i = int(os.path.basename(os.path.dirname(path)))
        if i % 3 != 0:
            continue
        metrics = json.load(open(path))["metrics"]
        key = (MODES[i // 27], SIZES[(i // 9) % 3], RATES[(i // 3) % 3])
        points[key] = metrics
    return points


def bars(points, title, unit, value, out, rates=RATES):
    groups = [(s, r) for s in SIZES for r in rates]
    top = max(value(points[(m, s, r)]) for m in MODES for s, r in groups) * 1.1 or 1
    w, h, left, bottom, bar = 900, 360, 60, 60, 16
    step = (w - left - 20) / len(groups)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">{title}</text>',
           f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">{unit}</text>']
    plot_h = h - bottom - 40
    for k in range(5):
        y = h - bottom - plot_h * k / 4
        svg.append(f'<line x1="{left}" x2="{w - 20}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{top * k / 4:.3g}</text>')
    for g, (s, r) in enumerate(groups):
        x0 = left + g * step + (step - 3 * bar) / 2
        for j, m in enumerate(MODES):
            v = value(points[(m, s, r)])
            bh = plot_h * v / top
            svg.append(f'<rect x="{x0 + j * bar}" y="{h - bottom - bh}" width="{bar - 2}" height="{bh}" '
                       f'fill="{COLOURS[m]}"><title>{m} {s} {r}: {v:.3g}</title></rect>')
        label = "b2b" if r == "0" else f"{int(r) // 1000}k/s"
        svg.append(f'<text x="{x0 + 1.5 * bar}" y="{h - bottom + 14}" text-anchor="middle">{s}</text>')
        svg.append(f'<text x="{x0 + 1.5 * bar}" y="{h - bottom + 27}" text-anchor="middle">{label}</text>')
    for j, m in enumerate(MODES):
        svg.append(f'<rect x="{left + j * 110}" y="{h - 18}" width="10" height="10" fill="{COLOURS[m]}"/>')
        svg.append(f'<text x="{left + j * 110 + 14}" y="{h - 9}">{m}</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg) + "\n")


def main():
    sweep, out = sys.argv[1], sys.argv[2]
    points = load(sweep)
    bars(points, "Wake-ups per message (length prefix)", "wake-ups / message",
         lambda m: m["workloads.msgs.wakeups_per_message"]["value"], os.path.join(out, "message_buffering_wakeups.svg"))
    # Back to back the consumer is the bottleneck and queueing (milliseconds) would flatten the rest.
    bars(points, "Message latency p99, last byte at the NIC to the app (paced arrivals)", "µs",
         lambda m: m["workloads.msgs.message_latency"]["p99"] / 1e6, os.path.join(out, "message_buffering_latency.svg"),
         rates=RATES[:2])


if __name__ == "__main__":
    main()
