#!/usr/bin/env python3
"""The web-cache experiment's tables (Markdown on stdout) and, given a folder, its charts (plain
SVG, no dependencies), from a sweep of scenarios/web_cache.yaml:
    build/hostwire sweep scenarios/web_cache.yaml --out out/web_cache -j 2
    docs/experiments/web_cache_tables.py out/web_cache docs/img
"""
import glob
import json
import os
import sys


def load(sweep):
    rows = []
    for report in glob.glob(os.path.join(sweep, "points", "*", "report.json")):
        r = json.load(open(report))
        p, m = r["scenario"]["parameters"], r["metrics"]
        value = lambda k: m[k]["value"] if k in m and "value" in m[k] else 0.0
        w = "workloads.web."
        lat = m.get(w + "latency", {})
        rows.append({
            "path": p[w + "path"], "cache": p["host.http.cache_size"], "clients": int(p["hosts"][1]["count"]),
            "size": p[w + "object_size"], "rate": value(w + "response_rate") / 1e3, "hit": value(w + "hit_ratio"),
            "p50": lat.get("p50", 0) / 1e6, "p99": lat.get("p99", 0) / 1e6,
            "cpr": value(w + "server_cycles_per_request"), "kernel": value(w + "kernel_cycles_per_request"),
            "daemon": value(w + "daemon_cycles_per_request"), "cs": value(w + "context_switches_per_request"),
            "module": value(w + "responses_module"), "by_daemon": value(w + "responses_daemon"),
            "cache_kib": value(w + "cache_bytes") / 1024, "util": 100 * value("server.cpu.utilisation"),
            "gbps": value(w + "rx_throughput") / 1e9, "bad": value(w + "bad_responses"), "failed": value(w + "failed"),
        })
    return rows


def size_key(s):
    units = {"B": 1, "KiB": 1024, "MiB": 1 << 20}
    for u in sorted(units, key=len, reverse=True):
        if s.endswith(u):
            return float(s[: -len(u)]) * units[u]
    return float(s)


def chart(path, title, xlabel, ylabel, series, hlines):
    """Lines through (x, y) points per named series, dashed horizontal lines per (name, y)."""
    w, h, left, bottom, top, right = 640, 400, 70, 50, 40, 170
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts] + [y for _, y in hlines]
    x0, x1, y1 = 0.0, max(1.0, max(xs)), max(ys) * 1.1
    px = lambda x: left + (x - x0) / (x1 - x0) * (w - left - right)
    py = lambda y: h - bottom - y / y1 * (h - top - bottom)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
           f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">{xlabel}</text>',
           f'<text x="16" y="{(top + h - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 {(top + h - bottom) / 2})">{ylabel}</text>']
    for i in range(6):
        x, y = x0 + (x1 - x0) * i / 5, y1 * i / 5
        out.append(f'<text x="{px(x)}" y="{h - bottom + 16}" text-anchor="middle">{x:.1f}</text>')
        out.append(f'<text x="{left - 6}" y="{py(y) + 4}" text-anchor="end">{y:.0f}</text>')
        out.append(f'<line x1="{left}" y1="{py(y)}" x2="{w - right}" y2="{py(y)}" stroke="#ddd"/>')
    for k, (name, pts) in enumerate(series):
        c = colours[k % len(colours)]
        pts = sorted(pts)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="'
                   + " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts) + '"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{c}"/>' for x, y in pts]
        out.append(f'<text x="{w - right + 8}" y="{top + 16 * k + 10}" fill="{c}">{name}</text>')
    for k, (name, y) in enumerate(hlines):
        c = colours[(k + len(series)) % len(colours)]
        out.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{w - right}" y2="{py(y):.1f}" stroke="{c}" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{w - right + 8}" y="{top + 16 * (k + len(series)) + 10}" fill="{c}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def charts(rows, folder):
    small = [r for r in rows if r["size"] == "1KiB"]
    series, hlines, cycles = [], [], []
    for n in sorted({r["clients"] for r in small}):
        k = [(r["hit"], r["rate"]) for r in small if r["clients"] == n and r["path"] == "kernel"]
        series.append((f"kernel, {n} client{'s' if n > 1 else ''}", k))
        d = [r["rate"] for r in small if r["clients"] == n and r["path"] == "daemon_only" and r["cache"] == "0B"]
        if d and n == 8:
            hlines.append(("daemon only, 8 clients", d[0]))
    chart(os.path.join(folder, "web_cache_rate.svg"), "1 KiB objects: requests/s against the hit ratio",
          "hit ratio", "kreq/s", series, hlines)
    eight = [r for r in small if r["clients"] == 8]
    kern = sorted((r["hit"], r["kernel"]) for r in eight if r["path"] == "kernel")
    daem = sorted((r["hit"], r["daemon"]) for r in eight if r["path"] == "kernel")
    total = sorted((r["hit"], r["cpr"]) for r in eight if r["path"] == "kernel")
    base = [r for r in eight if r["path"] == "daemon_only" and r["cache"] == "0B"]
    chart(os.path.join(folder, "web_cache_cycles.svg"), "8 clients, 1 KiB: server cycles per request",
          "hit ratio", "cycles/request", [("kernel path: total", total), ("kernel path: kernel", kern), ("kernel path: daemon", daem)],
          [("daemon only: total", base[0]["cpr"])] if base else [])


def main():
    rows = load(sys.argv[1])
    if len(sys.argv) > 2:
        charts(rows, sys.argv[2])
    rows.sort(key=lambda r: (size_key(r["size"]), r["clients"], r["path"] != "kernel", size_key(r["cache"])))
    print("| object | clients | path | cache | hit ratio | kreq/s | Gbit/s | p50 (us) | p99 (us) | cycles/req "
          "| kernel | daemon | switches/req | by module | by daemon | server CPU % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["path"] == "daemon_only" and r["cache"] != "0B":
            continue  # the cache is the module's: every daemon-only point is the same
        cache = r["cache"] if r["path"] == "kernel" else "-"
        print(f"| {r['size']} | {r['clients']} | {r['path']} | {cache} | {r['hit']:.3f} | {r['rate']:.1f} | {r['gbps']:.2f} "
              f"| {r['p50']:.1f} | {r['p99']:.1f} | {r['cpr']:.0f} | {r['kernel']:.0f} | {r['daemon']:.0f} "
              f"| {r['cs']:.3f} | {r['module']:.0f} | {r['by_daemon']:.0f} | {r['util']:.1f} |")
    bad = sum(r["bad"] + r["failed"] for r in rows)
    print(f"\nBad or failed responses over all {len(rows)} points: {bad:.0f}.")
    # The speed-up of the kernel path over daemon-only at the same clients and object size.
    print("\n| object | clients | cache | hit ratio | kernel / daemon-only req/s |")
    print("|---|---|---|---|---|")
    base = {(r["size"], r["clients"]): r["rate"] for r in rows if r["path"] == "daemon_only" and r["cache"] == "0B"}
    for r in rows:
        if r["path"] == "kernel" and (r["size"], r["clients"]) in base and base[(r["size"], r["clients"])] > 0:
            print(f"| {r['size']} | {r['clients']} | {r['cache']} | {r['hit']:.3f} | {r['rate'] / base[(r['size'], r['clients'])]:.2f} |")


if __name__ == "__main__":
    main()
