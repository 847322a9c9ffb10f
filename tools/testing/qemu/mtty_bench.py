#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QEMU 10 migrating upstream's mtty and mdma: the figures, side by side.

Runs inside a vm-run guest (mtty-bench.sh starts it): loads mtty.ko
(MTTY_KO), vfio_mig and mdma, and for each case migrates a VM with one
device BENCH_REPS times between two QEMU processes (qemu_vm.py, with
QEMU and QEMU_ARGS; mdma through mdma_guest.py), printing query-migrate's
status, total time, downtime and device ("vfio") bytes. A case that
cannot migrate prints why. Not a test: the exit status is 0 unless the
guest setup fails.
"""

import glob
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mdma_guest as m  # noqa: E402
import qemu_vm as q  # noqa: E402

MTTY_TYPES = "/sys/class/mtty/mtty/mdev_supported_types"
REPS = int(os.environ.get("BENCH_REPS", "3"))


class Mtty:
    """An mtty instance with two ports (a 16550 each)."""

    def __init__(self):
        types = sorted(glob.glob(os.path.join(MTTY_TYPES, "mtty-2")) +
                       glob.glob(os.path.join(MTTY_TYPES, "*")))
        self.uuid = str(subprocess.check_output(["uuidgen"]),
                        "ascii").strip()
        with open(os.path.join(types[0], "create"), "w") as f:
            f.write(self.uuid)
        self.type = os.path.basename(types[0])
        self.sysfs = os.path.join(m.MDEV_DEVICES, self.uuid)

    def remove(self):
        if os.path.exists(self.sysfs):
            with open(os.path.join(self.sysfs, "remove"), "w") as f:
                f.write("1")


def one(case, opt, make, busy=False):
    """One migration of a VM with one device; returns a result row."""
    src_dev, dst_dev = make(), make()
    src = dst = None
    uri = "unix:" + os.path.join(q.WORK, "bench.sock")
    try:
        src = q.Qemu("source", [src_dev], label=case, migration_opt=opt)
        dst = q.Qemu("destination", [dst_dev], incoming=uri, label=case,
                     migration_opt=opt)
        if isinstance(src_dev, m.Mdma):
            m.round_trip(src, src_dev)
            if busy:
                src_dev.workload(m.BUSY % (src_dev.gpa, m.LEN))
                time.sleep(1)
        try:
            q.migrate(src, uri)
        except q.Fail as e:
            return {"status": "refused", "why": str(e)}
        info = q.wait_migration(src, ("completed", "failed", "cancelled"))
        if info["status"] == "completed":
            info = q.final_numbers(src)
            if isinstance(src_dev, m.Mdma):
                q.wait_for("the destination to finish loading",
                           lambda: dst.status() == "paused", timeout=60)
                ds, dd = m.digest(src_dev), m.digest(dst_dev)
                ram = (src.ram(src_dev.gpa, m.LEN) ==
                       dst.ram(src_dev.gpa, m.LEN))
                info["check"] = ("digest %s, RAM %s" % (
                    "equal" if ds == dd else "DIFFERS",
                    "equal" if ram else "DIFFERS"))
            dst.cmd("cont")
            info["dst"] = dst.status()
        else:
            info["why"] = info.get("error-desc", "")
        return info
    finally:
        for vm in (src, dst):
            if vm:
                vm.close()
        for d in (src_dev, dst_dev):
            d.remove()


def main():
    if not os.environ.get("VM_RUN_RESULTS"):
        print("mtty_bench.py: not in a vm-run guest", file=sys.stderr)
        return 2
    m.load_modules()
    q.note(q.version() + ", kernel " + os.uname().release + ", devices on " +
           ("iommufd" if q.IOMMUFD else "a type1 container"))
    subprocess.check_call(["insmod", os.environ["MTTY_KO"]])
    cases = [
        ("mtty, enable-migration=auto (default)", "enable-migration=auto",
         Mtty, False),
        ("mtty, enable-migration=on", "enable-migration=on", Mtty, False),
        ("mtty, on + x-device-dirty-page-tracking=off",
         "enable-migration=on,x-device-dirty-page-tracking=off", Mtty,
         False),
        ("mdma-16m idle, enable-migration=on", "enable-migration=on",
         m.Mdma, False),
        ("mdma-16m busy, enable-migration=on", "enable-migration=on",
         m.Mdma, True),
        ("mdma-16m idle, enable-migration=auto (default)",
         "enable-migration=auto", m.Mdma, False),
        ("mdma-16m busy, enable-migration=auto (default)",
         "enable-migration=auto", m.Mdma, True),
    ]
    print("# QEMU 10 under TCG in a %s guest, downtime-limit 300 ms, "
          "max-bandwidth 1 GiB/s; %d runs per case" % (os.uname().release,
                                                       REPS))
    print("%-48s %-10s %9s %9s %12s %12s  %s" % (
        "case", "status", "total ms", "down ms", "vfio bytes",
        "stream bytes", "notes"))
    for name, opt, make, busy in cases:
        for _ in range(REPS):
            try:
                info = one(name.split(",")[0], opt, make, busy)
            except (q.Fail, OSError, subprocess.SubprocessError) as e:
                info = {"status": "error", "why": str(e)}
            st = info.get("status")
            if st != "completed":
                print("%-48s %-10s %9s %9s %12s %12s  %s" % (
                    name, st, "-", "-", "-", "-", info.get("why", "")[:160]),
                    flush=True)
                break   # the next runs would say the same
            print("%-48s %-10s %9s %9s %12s %12s  %s" % (
                name, st, info.get("total-time"), info.get("downtime"),
                info.get("vfio", {}).get("transferred", "-"),
                info.get("ram", {}).get("transferred", "-"),
                "; ".join(x for x in (info.get("check", ""),
                                      "destination " + info["dst"]) if x)),
                flush=True)
    subprocess.call(["rmmod", "mtty"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
