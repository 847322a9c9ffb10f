#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Plot the CSV files scripts/bench.sh wrote into DIR:

  bench-plot.py DIR

throughput.csv -> throughput.png (each path's save and load against
memcpy, per setup and window size, for mdma-64m) and small-access.png
(one 8-byte pread() of the trapped window against one of /dev/zero);
qemu.csv -> qemu-downtime.png and qemu-total.png (against the dirty rate
of mdma's workload, the VM without a device and with mtty as reference
lines). Each point is the median of its runs. Uses Debian's
python3-matplotlib (scripts/install-deps.sh --bench).
"""

import csv
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MEASURES = ["save v1 mapped", "save v1 trapped", "save v2 data fd",
            "load v1 mapped", "load v1 trapped", "load v2 data fd"]
# What each path should reach, as a ratio to memcpy in the same guest.
GOALS = {"save v1 mapped": 0.8, "save v1 trapped": 0.3,
         "save v2 data fd": 0.7, "load v1 mapped": 0.5,
         "load v1 trapped": 0.5, "load v2 data fd": 0.5}
PLOT_TYPE = "mdma-64m"


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ordered(values):
    """Unique values in first-seen order."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def plot_throughput(rows, out):
    rows = [r for r in rows if r["type"] == PLOT_TYPE]
    setups = ordered(r["setup"] for r in rows)
    windows = sorted({int(r["window_kb"]) for r in rows})
    if not setups:
        return
    fig, axes = plt.subplots(len(setups), 1, figsize=(10, 3.2 * len(setups)),
                             sharex=True, squeeze=False)
    width = 0.8 / max(len(windows), 1)
    for ax, setup in zip(axes[:, 0], setups):
        for i, kb in enumerate(windows):
            ys = []
            for m in MEASURES:
                v = [float(r["ratio_to_memcpy"]) for r in rows
                     if r["setup"] == setup and int(r["window_kb"]) == kb
                     and r["measure"] == m]
                ys.append(statistics.median(v) if v else 0)
            xs = [x + (i - (len(windows) - 1) / 2) * width
                  for x in range(len(MEASURES))]
            ax.bar(xs, ys, width, label="window %d KiB" % kb)
        for x, m in enumerate(MEASURES):
            ax.hlines(GOALS[m], x - 0.45, x + 0.45, colors="black",
                      linestyles="dashed", linewidth=1)
        cp = [float(r["value"]) for r in rows
              if r["setup"] == setup and r["measure"] == "memcpy"]
        ax.set_title("%s, %s (memcpy %.0f MiB/s)" % (
            setup, PLOT_TYPE, statistics.median(cp) if cp else 0))
        ax.set_ylabel("x memcpy")
        ax.set_ylim(0, 1.1)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xticks(range(len(MEASURES)))
    axes[-1, 0].set_xticklabels(MEASURES, rotation=20, ha="right")
    fig.suptitle("Save and load throughput against memcpy "
                 "(dashed: the goal)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "throughput.png"), dpi=100)
    plt.close(fig)


def plot_small(rows, out):
    setups = ordered(r["setup"] for r in rows)
    win, zero = [], []
    for s in setups:
        w = [float(r["value"]) for r in rows if r["setup"] == s and
             r["measure"] == "pread 8 bytes of the trapped window"]
        z = [float(r["value"]) for r in rows if r["setup"] == s and
             r["measure"] == "pread 8 bytes of /dev/zero"]
        win.append(statistics.median(w) if w else 0)
        zero.append(statistics.median(z) if z else 0)
    if not any(win):
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    xs = range(len(setups))
    ax.bar([x - 0.2 for x in xs], win, 0.4, label="trapped window")
    ax.bar([x + 0.2 for x in xs], zero, 0.4, label="/dev/zero")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(setups, rotation=15, ha="right")
    ax.set_ylabel("ns per 8-byte pread()")
    ax.set_title("One small access of the trapped window")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "small-access.png"), dpi=100)
    plt.close(fig)


def short(qemu):
    """"QEMU emulator version 10.0.2 (...)" -> "QEMU 10.0.2"."""
    parts = qemu.split()
    return "QEMU " + parts[3] if len(parts) > 3 else qemu


def plot_qemu(rows, out, field, name, ylabel):
    rows = [r for r in rows if r["status"] == "completed" and r[field]]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(9, 5))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, qemu in enumerate(ordered(r["qemu"] for r in rows)):
        style = "-" if i == 0 else "--"
        mine = [r for r in rows if r["qemu"] == qemu]
        for j, case in enumerate(ordered(r["case"] for r in mine)):
            pts = {}
            for r in mine:
                if r["case"] == case:
                    pts.setdefault(int(r["dirty_kib_s"]), []).append(
                        float(r[field]))
            label = "%s, %s" % (short(qemu), case)
            color = cycle[(2 * j + i) % len(cycle)]
            if case in ("none", "mtty"):
                ax.axhline(statistics.median(pts[0]), color=color,
                           linestyle=":", label=label + " (reference)")
                continue
            xs = sorted(pts)
            ax.plot(xs, [statistics.median(pts[x]) for x in xs], style,
                    marker="o", color=color, label=label)
    limit = ordered(r["downtime_limit_ms"] for r in rows)
    if field == "downtime_ms" and len(limit) == 1:
        ax.axhline(float(limit[0]), color="black", linewidth=0.8,
                   label="downtime-limit %s ms" % limit[0])
    ax.set_xlabel("device memory the workload dirties, KiB/s")
    ax.set_ylabel(ylabel)
    ax.set_title("QEMU migrating mdma (median of runs)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=100)
    plt.close(fig)


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    out = sys.argv[1]
    thr = read(os.path.join(out, "throughput.csv"))
    qemu = read(os.path.join(out, "qemu.csv"))
    if not thr and not qemu:
        print("bench-plot.py: no throughput.csv or qemu.csv in " + out,
              file=sys.stderr)
        return 1
    plot_throughput(thr, out)
    plot_small(thr, out)
    plot_qemu(qemu, out, "downtime_ms", "qemu-downtime.png", "downtime, ms")
    plot_qemu(qemu, out, "total_ms", "qemu-total.png", "total time, ms")
    print("bench-plot.py: " + ", ".join(
        sorted(f for f in os.listdir(out) if f.endswith(".png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
