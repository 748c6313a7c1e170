#!/usr/bin/env python3
"""The web-cache experiment's tables, from a sweep of scenarios/web_cache.yaml (Markdown on stdout):
    build/hostwire sweep scenarios/web_cache.yaml --out out/web_cache -j 2
    docs/experiments/web_cache_tables.py out/web_cache
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


def main():
    rows = load(sys.argv[1])
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
