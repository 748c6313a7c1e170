#!/usr/bin/env python3
"""The mirroring experiment's tables and charts, from sweeps of scenarios/mirroring.yaml (a local
debug VNIC) and scenarios/mirroring_remote.yaml (ERSPAN to another host). Plain SVG and
Markdown, no dependencies:
    build/hostwire sweep scenarios/mirroring.yaml --out out/mir -j 2
    build/hostwire sweep scenarios/mirroring_remote.yaml --out out/mir_remote -j 2
    docs/experiments/plot_mirroring.py out/mir out/mir_remote docs/img > tables.md
"""
import glob
import json
import os
import sys

# Rule 0's src_ip -> clients it mirrors (the server is 10.0.0.1, clients 10.0.0.2 on).
SHARE = {"10.0.0.1/32": 0, "10.0.0.2/32": 1, "10.0.0.2/31": 2, "10.0.0.0/29": None}  # None: all


def load(sweep):
    points = []
    for report in glob.glob(os.path.join(sweep, "points", "*", "report.json")):
        r = json.load(open(report))
        p, m = r["scenario"]["parameters"], r["metrics"]
        rule = next(g for g in p["hosts"] if g["name"] == "server")["rules"][0]  # the server group's rule 0
        overrides = p.get("host.nic.vnic_overrides", [])
        clients = next(g for g in p["hosts"] if g["name"] == "client")["count"]
        share = SHARE[rule["src_ip"]]
        value = lambda k: m[k]["value"] if k in m else 0.0
        points.append({
            "clients": int(clients), "mirrored_clients": int(clients) if share is None else share,
            "sample": int(rule["sample"]), "snap": rule["snap"],
            "ring": overrides[0]["rx_ring_size"] if overrides else "-",
            "cost": p["workloads.debug.cost"].replace("cycles", ""),
            "mirrored": value("server.nic.rule0.mirrored"), "analyzed": value("workloads.debug.frames"),
            "ring_drops": value("server.nic.rule0.dropped_ring_full"), "pending": value("workloads.debug.pending"),
            "erspan": value("server.nic.erspan_frames"), "erspan_drops": value("server.nic.erspan_dropped_buffer_full"),
            "primary_drops": value("server.nic.primary_dropped_ring_full"),
            "dma_mb": value("server.nic.mirror_dma_bytes") / 1e6, "wire_mb": value("server.nic.erspan_bytes") / 1e6,
            "pcie": 100 * value("server.bus.upstream.utilisation"),
            "uplink": 100 * value("link_server.a_to_b.utilisation"),
            "irqs": value("server.interrupts"), "analyzer_cpu": 100 * value(
                "server.cpu.core4.utilisation" if "server.cpu.core4.utilisation" in m else "probe.cpu.core1.utilisation"),
            "p50": m["workloads.rr.latency"]["p50"] / 1e6, "p99": m["workloads.rr.latency"]["p99"] / 1e6,
            "rate": value("workloads.rr.response_rate") / 1e3,
        })
    return points


def table(rows, columns):
    out = ["| " + " | ".join(c[0] for c in columns) + " |", "|" + "---:|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(c[1](r) for c in columns) + " |")
    return "\n".join(out)


def chart(path, title, y_label, series, y_top):
    """Lines of (x in 0..1 of the conns mirrored, y) points."""
    w, h, left, bottom, top_pad, legend_w = 600, 320, 56, 40, 24, 190
    sx = lambda x: left + x * (w - left - legend_w)
    sy = lambda y: h - bottom - y / y_top * (h - bottom - top_pad)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14">{title}</text>',
           f'<text x="{left + (w - left - legend_w) / 2}" y="{h - 6}" text-anchor="middle">share of the conns mirrored</text>',
           f'<text x="12" y="{top_pad + (h - bottom - top_pad) / 2}" transform="rotate(-90 12 {top_pad + (h - bottom - top_pad) / 2})" '
           f'text-anchor="middle">{y_label}</text>']
    for k in range(5):
        y = sy(y_top * k / 4)
        svg.append(f'<line x1="{left}" x2="{w - legend_w}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{y_top * k / 4:g}</text>')
    for x in (0, 0.25, 0.5, 0.75, 1):
        svg.append(f'<text x="{sx(x)}" y="{h - bottom + 14}" text-anchor="middle">{x:g}</text>')
    for j, (label, colour, dash, pts) in enumerate(series):
        line = " ".join(f"{sx(x):.1f},{sy(min(y, y_top)):.1f}" for x, y in sorted(pts))
        svg.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
        svg.append(f'<rect x="{w - legend_w + 10}" y="{30 + j * 16}" width="10" height="10" fill="{colour}"/>')
        svg.append(f'<text x="{w - legend_w + 24}" y="{39 + j * 16}">{label}</text>')
    svg.append("</svg>")
    open(path, "w").write("\n".join(svg) + "\n")


def main():
    local, remote, out = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
    fmt = lambda v: f"{v:,.0f}"
    share = lambda r: f"{r['mirrored_clients']}/{r['clients']}"
    print("### Local debug VNIC: overhead and isolation (fast analyzer 2000 cycles, debug ring 64)\n")
    baseline_once = lambda r: r["mirrored_clients"] > 0 or (r["sample"] == 1 and r["snap"] == "0B")
    rows = sorted((r for r in local if r["cost"] == "2000" and r["ring"] == "64" and baseline_once(r)),
                  key=lambda r: (r["mirrored_clients"], r["sample"], r["snap"]))
    print(table(rows, [("mirrored", share), ("sample", lambda r: f"1/{r['sample']}"), ("snap", lambda r: r["snap"]),
                       ("copies", lambda r: fmt(r["mirrored"])), ("analyzed", lambda r: fmt(r["analyzed"])),
                       ("ring drops", lambda r: fmt(r["ring_drops"])), ("primary drops", lambda r: fmt(r["primary_drops"])),
                       ("extra DMA MB", lambda r: f"{r['dma_mb']:.2f}"), ("PCIe up %", lambda r: f"{r['pcie']:.1f}"),
                       ("interrupts", lambda r: fmt(r["irqs"])), ("analyzer CPU %", lambda r: f"{r['analyzer_cpu']:.0f}"),
                       ("p50 us", lambda r: f"{r['p50']:.1f}"), ("p99 us", lambda r: f"{r['p99']:.1f}"),
                       ("k resp/s", lambda r: f"{r['rate']:.2f}")]))
    print("\n### Local debug VNIC: a slow analyzer (20000 cycles) and the debug ring (whole frames, every frame)\n")
    rows = sorted((r for r in local if r["sample"] == 1 and r["snap"] == "0B" and r["mirrored_clients"] > 0),
                  key=lambda r: (r["mirrored_clients"], r["cost"], int(r["ring"])))
    print(table(rows, [("mirrored", share), ("analyzer cycles", lambda r: r["cost"]), ("debug ring", lambda r: str(r["ring"])),
                       ("copies", lambda r: fmt(r["mirrored"])), ("analyzed", lambda r: fmt(r["analyzed"])),
                       ("ring drops", lambda r: fmt(r["ring_drops"])), ("pending", lambda r: fmt(r["pending"])),
                       ("copies = analyzed + drops + pending", lambda r: "yes" if r["mirrored"] == r["analyzed"] + r["ring_drops"] + r["pending"] else "NO"),
                       ("primary drops", lambda r: fmt(r["primary_drops"])), ("p99 us", lambda r: f"{r['p99']:.1f}")]))
    print("\n### Remote analyzer (ERSPAN over the server's own 10 Gbit/s port)\n")
    rows = sorted(filter(baseline_once, remote), key=lambda r: (r["mirrored_clients"], r["sample"], r["snap"]))
    print(table(rows, [("mirrored", share), ("sample", lambda r: f"1/{r['sample']}"), ("snap", lambda r: r["snap"]),
                       ("ERSPAN frames", lambda r: fmt(r["erspan"])), ("buffer drops", lambda r: fmt(r["erspan_drops"])),
                       ("analyzed", lambda r: fmt(r["analyzed"])), ("pending", lambda r: fmt(r["pending"])),
                       ("extra wire MB", lambda r: f"{r['wire_mb']:.2f}"),
                       ("uplink %", lambda r: f"{r['uplink']:.1f}"), ("p50 us", lambda r: f"{r['p50']:.1f}"),
                       ("p99 us", lambda r: f"{r['p99']:.1f}"), ("k resp/s", lambda r: f"{r['rate']:.2f}")]))

    def line(points, y, **where):  # the baseline (no conn mirrored) is a point of every combination
        return sorted({(r["mirrored_clients"] / r["clients"], r[y]) for r in points
                       if all(r[k] == v for k, v in where.items())})

    whole, snap = dict(sample=1, snap="0B"), dict(sample=1, snap="128B")
    fast = dict(cost="2000", ring="64")
    chart(os.path.join(out, "mirroring_p99.svg"), "primary p99 latency vs share mirrored, every frame copied", "p99 (us)",
          [("local, whole frames", "#1f77b4", "", line(local, "p99", **whole, **fast)),
           ("local, snap 128 B", "#1f77b4", "4 3", line(local, "p99", **snap, **fast)),
           ("remote ERSPAN, whole", "#d62728", "", line(remote, "p99", **whole)),
           ("remote ERSPAN, snap 128 B", "#d62728", "4 3", line(remote, "p99", **snap))], 400)
    chart(os.path.join(out, "mirroring_cost.svg"), "what the copies occupy: PCIe upstream (local) or the uplink (remote)",
          "busy %", [("local: PCIe upstream, whole", "#1f77b4", "", line(local, "pcie", **whole, **fast)),
                     ("local: PCIe upstream, snap 128", "#1f77b4", "4 3", line(local, "pcie", **snap, **fast)),
                     ("remote: uplink, whole", "#d62728", "", line(remote, "uplink", **whole)),
                     ("remote: uplink, snap 128", "#d62728", "4 3", line(remote, "uplink", **snap))], 100)


if __name__ == "__main__":
    main()
