#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QEMU's downtime and total time with mdma, at the downtime limit users
run, against the same VM with no device (and with upstream mtty).

Runs inside a vm-run guest (scripts/bench.sh starts it): loads vfio_mig
and mdma, and migrates a VM between two QEMU processes (qemu_vm.py: the
client in QEMU, QEMU_PROTOCOL and QEMU_ARGS, as the QEMU lanes) BENCH_REPS
times per case:

  none            the VM with no device
  mtty            upstream's mtty (QEMU 10 only; MTTY_KO names the module)
  mdma-16m/64m    one mdma instance, its test workload writing HZ blocks
                  of 4 KiB of device memory a second (BENCH_MEM_HZ, a list;
                  0 is idle) and, when HZ > 0, queueing 100 DMA
                  descriptors a second into guest RAM

with downtime-limit BENCH_DOWNTIME_MS (30 by default) and max-bandwidth
1 GiB/s. For each migration it prints and appends to BENCH_CSV (default
$VM_RUN_RESULTS/qemu.csv) query-migrate's total time and downtime, the
pre-copy rounds (RAM's dirty-sync-count), the device's bytes, and of them
those seen while the migration was still in pre-copy (query-migrate
polled every 20 ms: the last figure before the switchover, so a lower
bound). QEMU 10 counts a VFIO device's bytes itself; QEMU 7.2 does not,
so there the stream runs through a counting relay and the device's bytes
are the stream's minus RAM's (QEMU's own small device states included:
the "none" case shows how much that is). An mdma migration counts only
if the devices' digests and the written RAM are equal on both sides.
Not a test: it prints what happened, and exits 0 unless the guest setup
fails.
"""

import csv
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mdma_guest as m  # noqa: E402
import qemu_vm as q  # noqa: E402
from mtty_bench import Mtty  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "3"))
DOWNTIME = int(os.environ.get("BENCH_DOWNTIME_MS", "30"))
MEM_HZ = [int(x) for x in os.environ.get("BENCH_MEM_HZ",
                                          "0,50,200,800").split(",")]
TYPES = os.environ.get("BENCH_TYPES", "mdma-16m,mdma-64m").split(",")
TIMEOUT = 180   # seconds one migration may take before it is cancelled
FIELDS = ["qemu", "kernel", "downtime_limit_ms", "case", "mem_hz",
          "dirty_kib_s", "rep", "status", "total_ms", "downtime_ms",
          "rounds", "device_bytes", "precopy_device_bytes", "check"]


class NoDevice:
    """The "none" case: no device at all."""

    def remove(self):
        pass


def device_bytes(info, relay):
    """The device's bytes so far: QEMU's vfio counter, or the relayed
    stream less RAM."""
    if "vfio" in info:
        return info["vfio"].get("transferred", 0)
    if relay is None:
        return None
    # The two counts are read at different moments: never below 0.
    return max(0, relay.bytes - info.get("ram", {}).get("transferred", 0))


def devs(dev):
    """The devices a VM gets: none for NoDevice."""
    return [] if isinstance(dev, NoDevice) else [dev]


def one(case, hz):
    """One migration; returns the CSV row's measured fields."""
    make = {"none": NoDevice, "mtty": Mtty}.get(case)
    src_dev = make() if make else m.Mdma(case, 0)
    dst_dev = make() if make else m.Mdma(case, 0)
    src = dst = relay = None
    uri = "unix:" + os.path.join(q.WORK, "bench.sock")
    try:
        opt = None
        if case == "mtty":
            # mtty offers DMA logging, which QEMU would use and a kernel
            # without the iova_bitmap (Debian's 6.12) refuses.
            opt = "enable-migration=on,x-device-dirty-page-tracking=off"
        src = q.Qemu("source", devs(src_dev), label=case, migration_opt=opt)
        dst = q.Qemu("destination", devs(dst_dev), incoming=uri, label=case,
                     migration_opt=opt)
        target = uri
        if q.CLIENT.protocol == "v1":
            relay = q.Relay(uri)
            target = relay.uri
        if isinstance(src_dev, m.Mdma):
            m.round_trip(src, src_dev)
            if hz:
                src_dev.workload("dma %#x %d 100 mem %d" %
                                 (src_dev.gpa, m.LEN, hz))
                time.sleep(1)
        q.migrate(src, target, downtime=DOWNTIME)
        pre = None
        end = time.monotonic() + TIMEOUT
        while True:
            info = src.migration()
            st = info.get("status")
            if st in ("completed", "failed", "cancelled"):
                break
            if st == "active":
                pre = device_bytes(info, relay)
            if time.monotonic() > end:
                src.cmd("migrate_cancel")
                return {"status": "no convergence in %d s" % TIMEOUT}
            time.sleep(0.02)
        if st != "completed":
            return {"status": st, "check": info.get("error-desc", "")}
        info = q.final_numbers(src)
        row = {"status": st, "total_ms": info.get("total-time"),
               "downtime_ms": info.get("downtime"),
               "rounds": info.get("ram", {}).get("dirty-sync-count"),
               "precopy_device_bytes": pre}
        q.wait_for("the destination to finish loading",
                   lambda: dst.status() == "paused", timeout=60)
        # The destination has the whole stream: the relay's count is final.
        row["device_bytes"] = device_bytes(info, relay)
        if isinstance(src_dev, m.Mdma):
            same = (m.digest(src_dev) == m.digest(dst_dev) and
                    src.ram(src_dev.gpa, m.LEN) == dst.ram(src_dev.gpa,
                                                           m.LEN))
            row["check"] = "state equal" if same else "STATE DIFFERS"
        return row
    finally:
        if relay:
            relay.close()
        for vm in (src, dst):
            if vm:
                vm.close()
        for d in (src_dev, dst_dev):
            d.remove()


def main():
    if not os.environ.get("VM_RUN_RESULTS"):
        print("qemu_bench.py: not in a vm-run guest", file=sys.stderr)
        return 2
    m.load_modules()
    qemu = q.version()
    cases = [("none", 0)]
    if os.environ.get("MTTY_KO") and q.CLIENT.protocol == "v2":
        subprocess.check_call(["insmod", os.environ["MTTY_KO"]])
        cases.append(("mtty", 0))
    cases += [(t, hz) for t in TYPES for hz in MEM_HZ]
    path = os.environ.get("BENCH_CSV",
                          os.path.join(os.environ["VM_RUN_RESULTS"],
                                       "qemu.csv"))
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    out = open(path, "a", newline="")
    w = csv.DictWriter(out, fieldnames=FIELDS)
    if new:
        w.writeheader()
    print("# %s (protocol %s) under TCG in a %s guest, downtime-limit %d ms,"
          " max-bandwidth 1 GiB/s; %d runs per case" %
          (qemu, q.CLIENT.protocol, os.uname().release, DOWNTIME, REPS))
    fmt = "%-10s %6s %-10s %9s %8s %6s %12s %12s  %s"
    print(fmt % ("case", "mem hz", "status", "total ms", "down ms", "rounds",
                 "device B", "in pre-copy", "check"))
    for case, hz in cases:
        for rep in range(REPS):
            try:
                row = one(case, hz)
            except (q.Fail, OSError, subprocess.SubprocessError) as e:
                row = {"status": "error", "check": str(e)[:160]}
            row.update(qemu=qemu, kernel=os.uname().release,
                       downtime_limit_ms=DOWNTIME, case=case, mem_hz=hz,
                       dirty_kib_s=4 * hz, rep=rep)
            w.writerow(row)
            out.flush()
            print(fmt % tuple("-" if row.get(k) is None else row.get(k)
                              for k in ("case", "mem_hz", "status",
                                        "total_ms", "downtime_ms", "rounds",
                                        "device_bytes",
                                        "precopy_device_bytes", "check")),
                  flush=True)
            if row["status"] != "completed":
                break   # the next runs would say the same
    out.close()
    if any(c == "mtty" for c, _ in cases):
        subprocess.call(["rmmod", "mtty"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
