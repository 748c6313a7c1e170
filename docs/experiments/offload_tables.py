#!/usr/bin/env python3
"""The offload experiment's tables, from a sweep of scenarios/offload.yaml (Markdown on stdout):
    build/hostwire sweep scenarios/offload.yaml --out out/offload -j 2
    docs/experiments/offload_tables.py out/offload
"""
import glob
import json
import os
import sys


def mode(p):
    toe, tso = p["host_a.nic.toe.enabled"] == "true", p["host_a.nic.tso"] == "true"
    return ("toe + tso" if tso else "toe") if toe else ("tso" if tso else "software")


def load(sweep):
    rows = []
    for report in glob.glob(os.path.join(sweep, "points", "*", "report.json")):
        r = json.load(open(report))
        p, m = r["scenario"]["parameters"], r["metrics"]
        value = lambda k: m[k]["value"] if k in m and "value" in m[k] else 0.0
        seconds = float(r["simulated_time"].rstrip("s").replace("m", "")) / 1000 if "ms" in r["simulated_time"] else 0.05
        rec = m.get("host_a.tcp.toe.recovery_time", {})
        hb = {k.split(".")[-1]: value(k) for k in m if k.startswith("host_a.nic.toe.hand_backs.")}
        rows.append({
            "mode": mode(p), "loss": p["link0.a_to_b.loss"], "write": p["workloads.bulk.write_size"],
            "goodput": value("workloads.bulk.rx_goodput") / 1e9, "cpb": value("host_a.cycles_per_byte_sent"),
            "irq_mb": value("host_a.interrupts_per_mb_sent"), "ack_mb": value("host_a.tcp_segments_in_per_mb_sent"),
            "down_mb": value("host_a.bus.downstream.bytes") / 1e6, "up_mb": value("host_a.bus.upstream.bytes") / 1e6,
            "engine": 100 * value("host_a.nic.toe.utilisation"), "hb": hb, "seconds": seconds,
            "rec_p50": rec.get("p50", 0) / 1e6, "rec_p99": rec.get("p99", 0) / 1e6, "rec_n": rec.get("count", 0),
            "retrans": value("workloads.bulk.retransmitted_segments"), "lost": value("link0.a_to_b.dropped_loss"),
            "spurious": value("workloads.bulk.spurious_retransmits"), "host_cpu": 100 * value("host_a.cpu.utilisation"),
        })
    return rows


def main():
    rows = load(sys.argv[1])
    order = {"software": 0, "tso": 1, "toe": 2, "toe + tso": 3}
    cols = [("mode", lambda r: r["mode"]), ("loss", lambda r: r["loss"]), ("write", lambda r: r["write"]),
            ("goodput Gbit/s", lambda r: f"{r['goodput']:.3f}"), ("host cycles/B", lambda r: f"{r['cpb']:.2f}"),
            ("host CPU %", lambda r: f"{r['host_cpu']:.1f}"), ("interrupts/MB", lambda r: f"{r['irq_mb']:.1f}"),
            ("host TCP segments in/MB", lambda r: f"{r['ack_mb']:.1f}"),
            ("PCIe down MB", lambda r: f"{r['down_mb']:.1f}"), ("PCIe up MB", lambda r: f"{r['up_mb']:.1f}"),
            ("engine %", lambda r: f"{r['engine']:.0f}" if r["mode"].startswith("toe") else "-"),
            ("hand-backs/s dup ACK, timer, empty", lambda r: ", ".join(
                f"{r['hb'].get(k, 0) / r['seconds']:.0f}" for k in ("duplicate_ack", "timer", "empty"))
             if r["mode"].startswith("toe") else "-"),
            ("recovery p50/p99 us", lambda r: f"{r['rec_p50']:.1f} / {r['rec_p99']:.1f}" if r["rec_n"] else "-"),
            ("lost / retransmitted / spurious", lambda r: f"{r['lost']:.0f} / {r['retrans']:.0f} / {r['spurious']:.0f}")]
    print("| " + " | ".join(c[0] for c in cols) + " |")
    print("|" + "---:|" * len(cols))
    for r in sorted(rows, key=lambda r: (float(r["loss"]), order[r["mode"]], int(r["write"].replace("KiB", "")))):
        print("| " + " | ".join(c[1](r) for c in cols) + " |")


if __name__ == "__main__":
    main()
