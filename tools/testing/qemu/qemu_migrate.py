#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Live-migrate VMs with mdma devices between two QEMU processes.

Runs inside a vm-run guest (it loads modules): each scenario creates mdma
instances, starts a source and a destination QEMU (qemu_vm.py: TCG, no
guest OS), drives them over QMP and prints one TAP result. The client is
QEMU 7.2 by default, the real client of vfio_mig's migration region
(protocol v1); with QEMU_PROTOCOL=v2 the same scenarios run with QEMU 10,
the protocol v2 client (run.sh --qemu10). See Documentation/qemu.rst.

  tools/testing/vm/vm-run --kernel 6.1 --mem 2048 -- \\
      tools/testing/qemu/qemu_migrate.py [SCENARIO...]

Environment: KMOD_DIR (default build/kmod/$(uname -r)), QEMU (default
qemu-system-x86_64), QEMU_LANE_LOGS (keep QEMU's logs there). With
QEMU_PROTOCOL=v2 the devices are attached with enable-migration=on
instead of x-enable-migration=on (QEMU_MIGRATION=auto: with no option,
QEMU's default; QEMU_IOMMUFD=1: through iommufd), QEMU_ARGS adds
arguments (QEMU 10's -L directories), and QEMU_DIRTY_TRACKER=device or
iommu checks which dirty page tracker QEMU used.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from mdma_guest import (BUSY, LEN, MDEV_DEVICES, Mdma, digest, load_modules,
                        round_trip)
from qemu_vm import (IOMMUFD, LOGS, UPGRADE, WORK, Fail, Qemu, Relay,
                     check, final_numbers, migrate, note, version,
                     wait_for, wait_migration)

SCENARIO = ["setup"]    # the name of the scenario running, for log names


def kernel_has_precopy():
    """PRE_COPY is in the v2 uapi from Linux 6.2."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 2)


def dest_failed(dst):
    """The destination never ran the VM: it exited with an error
    (QEMU 7.2 exits when an incoming migration fails) or, still alive,
    reports the failure and has not started the VM."""
    if dst.alive():
        try:
            wait_for("the destination to exit", lambda: not dst.alive(),
                     timeout=20)
        except Fail:
            pass
    if dst.alive():
        st = dst.status()
        info = dst.migration()
        check(st != "running", "the destination runs the VM")
        check(info.get("status") == "failed",
              "destination migration status %s" % info.get("status"))
        return "alive, status %s, migration failed" % st
    rc = dst.proc.returncode
    check(rc not in (0, None), "the destination exited with status %s" % rc)
    text = dst.log_text()
    check("load of migration failed" in text,
          "the destination exited (%d) without a failed load: %s" % (rc, text))
    return "exited %d: %s" % (rc, text[-160:])


def stats(label, info):
    """QEMU's own numbers for a completed migration."""
    ram = info.get("ram", {})
    note("query-migrate %s: %s" % (label, json.dumps(info, sort_keys=True)))
    note("stats %s: total-time=%s ms downtime=%s ms setup-time=%s ms "
         "ram-transferred=%s normal-pages=%s duplicate-pages=%s "
         "dirty-sync-count=%s precopy-bytes=%s downtime-bytes=%s "
         "stream-bytes=%s non-ram-bytes=%s vfio-transferred=%s"
         % (label, info.get("total-time"), info.get("downtime"),
            info.get("setup-time"), ram.get("transferred"),
            ram.get("normal"), ram.get("duplicate"),
            ram.get("dirty-sync-count"), ram.get("precopy-bytes"),
            ram.get("downtime-bytes"), info["stream-bytes"],
            info["stream-bytes"] - ram.get("transferred", 0),
            info.get("vfio", {}).get("transferred", "-")))


# --- scenarios ------------------------------------------------------------

class Pair:
    """Source and destination VMs with n mdma devices each."""

    def __init__(self, n=1, src_type="mdma-16m", dst_type="mdma-16m",
                 dst_client=None, machine="q35"):
        self.src_devs = [Mdma(src_type, i) for i in range(n)]
        self.dst_devs = [Mdma(dst_type, i) for i in range(n)]
        self.uri = "unix:" + os.path.join(WORK, "mig.sock")
        self.src = self.dst = None
        self.src = Qemu("source", self.src_devs, label=SCENARIO[0],
                        machine=machine)
        self.dst = Qemu("destination", self.dst_devs, incoming=self.uri,
                        label=SCENARIO[0], client=dst_client,
                        machine=machine)
        check(self.src.status() == "running", "the source VM does not run")
        check(self.dst.status() == "inmigrate",
              "the destination is %s, not inmigrate" % self.dst.status())

    def close(self):
        for vm in (self.src, self.dst):
            if vm:
                vm.close()
        for dev in self.src_devs + self.dst_devs:
            dev.remove()


def compare(pair, what):
    """Both VMs paused: device digests and the written RAM are equal."""
    for i, (s, d) in enumerate(zip(pair.src_devs, pair.dst_devs)):
        ds, dd = digest(s), digest(d)
        diff = sorted(k for k in ds if ds[k] != dd[k])
        check(not diff, "%s: device %d differs in %s: source %s, "
              "destination %s" % (what, i, ", ".join(diff),
                                  {k: ds[k] for k in diff},
                                  {k: dd[k] for k in diff}))
        rs, rd = pair.src.ram(s.gpa, LEN), pair.dst.ram(s.gpa, LEN)
        if rs != rd:
            first = next(j for j in range(LEN) if rs[j] != rd[j])
            raise Fail("%s: guest RAM differs from GPA %#x on"
                       % (what, s.gpa + first))


def full_migration(pair, busy, fill=None):
    """Migrate; check the result; return the source's query-migrate.
    fill=(gpa, len, pattern) starts a FILL on the first device just
    before the migration."""
    for dev in pair.src_devs:
        # The device has written the range before, idle or not.
        round_trip(pair.src, dev)
        if busy:
            dev.workload(BUSY % (dev.gpa, LEN))
    if fill:
        pair.src_devs[0].workload("fill %#x %d %#x" % fill)
    if busy:
        time.sleep(1)
    before = [int(d.workload()["fills"]) for d in pair.src_devs]
    relay = Relay(pair.uri)
    try:
        migrate(pair.src, relay.uri)
        info = wait_migration(pair.src, ("completed", "failed", "cancelled"))
    finally:
        # A failed scenario must not leave the relay's socket behind.
        relay.close()
    check(info["status"] == "completed", "migration %s" % info["status"])
    info = final_numbers(pair.src)
    info["stream-bytes"] = relay.bytes
    wait_for("the destination to finish loading",
             lambda: pair.dst.status() == "paused", timeout=60)
    check(pair.src.status() == "postmigrate",
          "the source is %s, not postmigrate" % pair.src.status())
    for i, dev in enumerate(pair.src_devs):
        wl = dev.workload()
        if busy:
            check(int(wl["fills"]) > before[i] and int(wl["mem_writes"]) > 0,
                  "the workload did nothing during the migration: %s" % wl)
            check(wl["state"] == "paused",
                  "the workload is %s on the stopped source" % wl["state"])
        check(dev.state()["dma_error"] == "0", "source DMA error")
    if pair.src.client.protocol == "v2" and kernel_has_precopy():
        n = pair.src.log_text().count("vfio_save_iterate")
        check(n > 0, "QEMU never pre-copied the device: no PRE_COPY used")
        note("pre-copy: %d iterations of the devices" % n)
    if IOMMUFD:
        check(pair.src.has_open("/dev/iommu") and
              pair.dst.has_open("/dev/iommu"),
              "QEMU did not open /dev/iommu: the devices are not on iommufd")
    if pair.src.client.protocol == "v2":
        tracker = dirty_tracker(pair.src)
        note("dirty tracking: " + tracker)
        want = os.environ.get("QEMU_DIRTY_TRACKER")
        check(not want or tracker.startswith(want),
              "QEMU tracked dirty pages with %s, not %s" % (tracker, want))
    # Source: QEMU left the device in STOP after the last read of its
    # data; destination (-S): the device is still RESUMING, its state
    # loaded but not committed; nothing runs on either side, so both
    # are frozen. Once the destination runs, parked descriptors go on.
    compare(pair, "after migration")
    return info


def dirty_tracker(vm):
    """Which dirty page tracker QEMU used for the VM's devices: device DMA
    logging leaves a trace line when it starts; otherwise QEMU asked the
    IOMMU backend (type1's VFIO_IOMMU_DIRTY_PAGES, which has no trace;
    iommufd tracks nothing for an mdev)."""
    if "vfio_device_dirty_tracking_start" in vm.log_text():
        return "device (DMA logging)"
    return "iommu (%s)" % ("iommufd" if IOMMUFD else "type1 container")


# A FILL long enough to be in flight while the VM migrates: wherever it
# is when the source stops (done, or parked with its progress), the
# destination must end with the whole range holding its pattern.
FILL_GPA = 0x4000000
FILL_LEN = 16 << 20
STATUS_BUSY = 1 << 1    # MDMA_STATUS_BUSY: a descriptor is running


def fill_bytes(pattern):
    """What a FILL of pattern leaves in [FILL_GPA, FILL_GPA + FILL_LEN)."""
    return pattern.to_bytes(4, "little") * (FILL_LEN // 4)


def engine_idle(state):
    """Nothing queued and nothing running: a descriptor leaves the queue
    when it starts, so an empty queue alone may still have one running."""
    return (state["dma_queued"] == "0"
            and not int(state["status"], 16) & STATUS_BUSY)


def run_migrated_fill(pair, ddev, pattern):
    """Let the destination run until the migrated FILL is done; it must
    have left its pattern on the whole range."""
    pair.dst.cmd("cont")
    wait_for("the migrated FILL to finish on the destination",
             lambda: engine_idle(ddev.state()), timeout=120)
    check(ddev.state()["dma_error"] == "0", "the migrated FILL failed")
    want = fill_bytes(pattern)
    got = pair.dst.ram(FILL_GPA, FILL_LEN)
    if got != want:
        first = next(j for j in range(FILL_LEN) if got[j] != want[j])
        raise Fail("the migrated FILL left guest RAM wrong from GPA %#x"
                   % (FILL_GPA + first))


def t_idle():
    pair = Pair()
    try:
        dev = pair.src_devs[0]
        pattern = int.from_bytes(os.urandom(4), "little") | 0x01010101
        stats("idle", full_migration(pair, busy=False,
                                     fill=(FILL_GPA, FILL_LEN, pattern)))
        # The destination takes over, finishes the FILL, and works.
        ddev = pair.dst_devs[0]
        run_migrated_fill(pair, ddev, pattern)
        note("the FILL of %d MiB started on the source before the "
             "migration is whole on the destination (pattern %#010x)"
             % (FILL_LEN >> 20, pattern))
        round_trip(pair.dst, ddev)
        check(dev.state()["dma_error"] == "0", "source DMA error")
    finally:
        pair.close()


def t_queued():
    """A FILL queued while the VM is paused cannot run before the
    migration: it must travel in the device's state, with its pattern,
    and run on the destination."""
    pair = Pair()
    try:
        dev = pair.src_devs[0]
        round_trip(pair.src, dev)
        pattern = int.from_bytes(os.urandom(4), "little") | 0x01010101
        pair.src.cmd("stop")
        dev.workload("fill %#x %d %#x" % (FILL_GPA, FILL_LEN, pattern))
        check(dev.state()["dma_queued"] == "1", "the FILL was not queued")
        relay = Relay(pair.uri)
        try:
            migrate(pair.src, relay.uri, paused=True)
            info = wait_migration(pair.src,
                                  ("completed", "failed", "cancelled"))
        finally:
            relay.close()
        check(info["status"] == "completed", "migration %s" % info["status"])
        wait_for("the destination to finish loading",
                 lambda: pair.dst.status() == "paused", timeout=60)
        ddev = pair.dst_devs[0]
        check(ddev.state()["dma_queued"] == "1",
              "the queued FILL is not on the destination")
        check(pair.dst.ram(FILL_GPA, FILL_LEN) != fill_bytes(pattern),
              "guest RAM holds the pattern before the FILL ran")
        run_migrated_fill(pair, ddev, pattern)
        note("the FILL queued on the paused source ran on the destination "
             "(%d MiB of pattern %#010x)" % (FILL_LEN >> 20, pattern))
    finally:
        pair.close()


def t_busy():
    pair = Pair()
    try:
        stats("busy", full_migration(pair, busy=True))
        for dev in pair.src_devs:
            note("source workload: " + " ".join(
                "%s=%s" % kv for kv in dev.workload().items()))
        # The checks can fail: change the destination alone.
        dev = pair.dst_devs[0]
        pair.dst.cmd("cont")
        round_trip(pair.dst, dev)
        dev.workload("mem 1000")
        wait_for("device memory writes",
                 lambda: int(dev.workload()["mem_writes"]) >= 10)
        dev.workload("stop")
        pair.dst.cmd("stop")
        try:
            compare(pair, "after a DMA on the destination")
        except Fail as e:
            note("as it must: " + str(e))
        else:
            raise Fail("a changed destination still compares equal")
        ds, dd = digest(pair.src_devs[0]), digest(dev)
        check(ds["mem_crc32"] != dd["mem_crc32"],
              "device memory digest did not see the change")
        check(pair.src.ram(dev.gpa, LEN) != pair.dst.ram(dev.gpa, LEN),
              "guest RAM comparison did not see the change")
    finally:
        pair.close()


def t_two_devices():
    pair = Pair(n=2)
    try:
        full_migration(pair, busy=True)
    finally:
        pair.close()


def failed_migration(pair, how, killed=False):
    """After a failed migration the source VM runs with a working device
    and the destination (unless it was killed) never ran the VM."""
    try:
        wait_for("the source to run again",
                 lambda: pair.src.status() == "running", timeout=30)
    except Fail:
        raise Fail("the source is %s after %s" % (pair.src.status(), how))
    for dev in pair.src_devs:
        dev.workload("stop")
        round_trip(pair.src, dev)
    if not killed:
        note("destination: " + dest_failed(pair.dst))


def t_wrong_type():
    pair = Pair(src_type="mdma-16m", dst_type="mdma-64m")
    try:
        migrate(pair.src, pair.uri)
        info = wait_migration(pair.src, ("completed", "failed", "cancelled"))
        check(info["status"] == "failed",
              "migration to another type: %s" % info["status"])
        note("source: " + info.get("error-desc", "(no error-desc)"))
        failed_migration(pair, "a refused stream")
    finally:
        pair.close()


def throttled(pair):
    """Start a slow migration of a busy device; wait until it transfers."""
    dev = pair.src_devs[0]
    dev.workload(BUSY % (dev.gpa, LEN))
    migrate(pair.src, pair.uri, bandwidth=2 << 20)
    wait_for("pre-copy to transfer data",
             lambda: pair.src.migration().get("ram", {})
             .get("transferred", 0) > (1 << 20), timeout=60)
    check(pair.src.migration()["status"] == "active", "not in pre-copy")


def t_cancel():
    pair = Pair()
    try:
        throttled(pair)
        pair.src.cmd("migrate_cancel")
        info = wait_migration(pair.src, ("cancelled", "failed", "completed"))
        check(info["status"] == "cancelled", "status %s" % info["status"])
        failed_migration(pair, "migrate_cancel")
    finally:
        pair.close()


def t_dest_killed():
    pair = Pair()
    try:
        throttled(pair)
        pair.dst.kill()
        info = wait_migration(pair.src, ("cancelled", "failed", "completed"))
        check(info["status"] == "failed", "status %s" % info["status"])
        note("source: " + info.get("error-desc", "(no error-desc)"))
        check(pair.dst.proc.returncode == -signal.SIGKILL,
              "the destination was not the one killed")
        failed_migration(pair, "losing the destination", killed=True)
    finally:
        pair.close()


def t_knob_input():
    """The workload knob refuses what it cannot do, and nothing breaks."""
    dev = Mdma()
    try:
        def refused(cmd, code):
            try:
                dev.workload(cmd)
            except OSError as e:
                check(e.errno == code, "%r: %s, not %s" % (
                    cmd, e.strerror, os.strerror(code)))
                return
            raise Fail("%r was accepted" % cmd)
        for cmd in ("", "go", "dma", "dma 0x1000 0 10", "dma 0x1000 4096",
                    "dma 0x1000 4096 0", "dma 0x1000 4096 10001",
                    "dma 0xfffffffffffff000 8192 10", "mem", "mem x",
                    "mem 10 mem 10", "stop now", "fill 0 67108865 1",
                    "x" * 200):
            refused(cmd, errno.EINVAL)
        # Well formed, but no VMM has the device open.
        refused("mem 10", errno.ENODEV)
        refused("fill 0x1000 4096 0x1", errno.ENODEV)
        dev.workload("stop")
        check(dev.workload()["state"] == "closed",
              "state %s" % dev.workload()["state"])
        check(dev.state()["dma_completed"] == "0", "the device did DMA")
    finally:
        dev.remove()


def t_upgrade():
    """A busy VM moves from QEMU 7.2 (protocol v1) into QEMU 10 (protocol
    v2), both with the machine type of 7.2: the device's stream is the
    same whichever protocol carried it. The destination then runs and
    does DMA."""
    pair = Pair(dst_client=UPGRADE, machine="pc-q35-7.2")
    try:
        note("source: %s; destination: %s"
             % (version(), version(UPGRADE)))
        stats("upgrade", full_migration(pair, busy=True))
        dev = pair.dst_devs[0]
        pair.dst.cmd("cont")
        round_trip(pair.dst, dev)
        check(dev.state()["dma_error"] == "0", "destination DMA error")
    finally:
        pair.close()


SCENARIOS = [
    ("idle device migrates, digests and DMA-written RAM equal", t_idle),
    ("a FILL queued on the paused source runs on the destination",
     t_queued),
    ("busy device migrates, equal; a change on the destination is seen",
     t_busy),
    ("two devices in one VM migrate together", t_two_devices),
    ("destination of another mdma type refuses the stream", t_wrong_type),
    ("migrate_cancel in pre-copy leaves the source working", t_cancel),
    ("destination killed in transfer leaves the source working",
     t_dest_killed),
    ("workload knob refuses bad input", t_knob_input),
]
if UPGRADE:
    SCENARIOS.append(("QEMU 7.2 (v1) to QEMU 10 (v2), busy, pc-q35-7.2",
                      t_upgrade))


def setup():
    load_modules()
    note(version() + ", kernel " + os.uname().release + ", devices on " +
         ("iommufd" if IOMMUFD else "a type1 container"))


def unload():
    """rmmod mdma and vfio_mig: no scenario left an instance, an open
    device or any other reference behind."""
    left = os.listdir(MDEV_DEVICES)
    check(not left, "instances left behind: %s" % left)
    for name in ("mdma", "vfio_mig"):
        r = subprocess.run(["rmmod", name], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        check(r.returncode == 0, "rmmod %s: %s" % (name, r.stdout.strip()))


def main():
    if not os.environ.get("VM_RUN_RESULTS") and \
       os.environ.get("VFIO_MIG_IN_GUEST") != "1":
        print("qemu_migrate.py: not in a vm-run guest; refusing to load "
              "modules", file=sys.stderr)
        return 2
    want = sys.argv[1:]
    known = [fn.__name__[2:] for _, fn in SCENARIOS]
    unknown = [w for w in want if w not in known]
    if unknown:
        print("qemu_migrate.py: no scenario %s; the scenarios are: %s"
              % (", ".join(unknown), " ".join(known)), file=sys.stderr)
        return 2
    # Numbered in the order they run: a subset counts from 1 too.
    chosen = [(name, fn) for name, fn in SCENARIOS
              if not want or fn.__name__[2:] in want]
    todo = [(n, name, fn) for n, (name, fn) in enumerate(chosen, 1)]
    print("TAP version 13")
    print("1..%d" % (len(todo) + 1), flush=True)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    try:
        setup()
    except (Fail, OSError, subprocess.CalledProcessError) as e:
        for n, name, _ in todo:
            print("not ok %d %s # setup failed: %s" % (n, name, e))
        print("# Totals: pass:0 fail:%d xfail:0 xpass:0 skip:0 error:0"
              % len(todo))
        return 1
    for n, name, fn in todo:
        t0 = time.monotonic()
        SCENARIO[0] = fn.__name__[2:]
        note("%s: %s" % (fn.__name__[2:], name))
        try:
            fn()
        except (Fail, OSError, subprocess.SubprocessError) as e:
            print("not ok %d %s # %s" % (n, name, e), flush=True)
            counts["fail"] += 1
            for log in sorted(os.listdir(LOGS)):
                if log.startswith(SCENARIO[0] + "-") and log.endswith(".log"):
                    with open(os.path.join(LOGS, log), errors="replace") as f:
                        for line in f.read().splitlines()[-10:]:
                            note("%s: %s" % (log, line))
        else:
            print("ok %d %s" % (n, name), flush=True)
            counts["pass"] += 1
        note("%s took %.1f s" % (fn.__name__[2:], time.monotonic() - t0))
    name = "the modules unload: no instance or reference left behind"
    try:
        unload()
    except (Fail, OSError) as e:
        print("not ok %d %s # %s" % (len(todo) + 1, name, e), flush=True)
        counts["fail"] += 1
    else:
        print("ok %d %s" % (len(todo) + 1, name), flush=True)
        counts["pass"] += 1
    print("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0"
          % (counts["pass"], counts["fail"], counts["skip"]), flush=True)
    if LOGS == WORK:
        shutil.rmtree(WORK, ignore_errors=True)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
