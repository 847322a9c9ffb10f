# SPDX-License-Identifier: GPL-2.0
"""mdma in a test guest, for the scripts of tools/testing/qemu/: load the
modules, create instances, read their debugfs digest and drive their
workload knob.

Only inside a vm-run guest: load_modules() loads vfio_mig and mdma from
KMOD_DIR (default build/kmod/$(uname -r)) through
tools/testing/lib/guest-modules.sh, as the shell tests do.
"""

import os
import subprocess
import sys

from qemu_vm import Fail, check, wait_for

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
KMOD = os.environ.get("KMOD_DIR",
                      os.path.join(TOP, "build/kmod", os.uname().release))
GUEST_MODULES = os.path.join(TOP, "tools/testing/lib/guest-modules.sh")
MDMA_TYPES = "/sys/class/mdma/mdma/mdev_supported_types"
MDEV_DEVICES = "/sys/bus/mdev/devices"
DEBUGFS = "/sys/kernel/debug/mdma"

# The guest-physical range device i of a VM writes: 256 KiB at 16 MiB
# + i MiB, inside the 128 MiB of RAM and mapped in the VFIO container as
# IOVA == GPA.
GPA = 0x1000000
LEN = 0x40000
# The busy workload: 100 descriptors a second on the range (three fills
# of a new pattern, then a copy from device memory), 200 writes of 4 KiB
# of device memory a second.
BUSY = "dma %#x %d 100 mem 200"
# The workload is a test knob that a default build leaves out.
WORKLOAD_MISSING = ("mdma was built without its test workload: rebuild it "
                    "with make MDMA_WORKLOAD=y modules")


def load_modules():
    """Load vfio_iommu_type1, mdev, vfio_mig and mdma (those not loaded
    yet) and mount debugfs, with guest-modules.sh; what failed is in the
    "# " lines it prints."""
    sys.stdout.flush()
    rc = subprocess.call(["bash", GUEST_MODULES, "load"],
                         env=dict(os.environ, KMOD_DIR=KMOD))
    check(rc == 0, "the modules could not be loaded (guest-modules.sh "
          "load: exit %d)" % rc)
    check(os.path.isdir(MDMA_TYPES), "no " + MDMA_TYPES)


class Mdma:
    """One mdma instance: created at __init__, removed by remove()."""

    def __init__(self, mtype="mdma-16m", index=0):
        self.gpa = GPA + index * 0x100000
        self.uuid = str(subprocess.check_output(["uuidgen"]),
                        "ascii").strip()
        self.type = mtype
        with open(os.path.join(MDMA_TYPES, mtype, "create"), "w") as f:
            f.write(self.uuid)
        self.sysfs = os.path.join(MDEV_DEVICES, self.uuid)

    def state(self):
        """The debugfs digest as a dict."""
        with open(os.path.join(DEBUGFS, self.uuid, "state")) as f:
            return dict(l.strip().split("=", 1) for l in f if "=" in l)

    def workload(self, cmd=None):
        """Write a workload command, or read the settings and counters."""
        path = os.path.join(DEBUGFS, self.uuid, "workload")
        if not os.path.exists(path) and \
           os.path.exists(os.path.join(DEBUGFS, self.uuid, "state")):
            raise Fail("no %s: %s" % (path, WORKLOAD_MISSING))
        if cmd is not None:
            with open(path, "w") as f:
                f.write(cmd + "\n")
            return None
        with open(path) as f:
            return dict(l.strip().split("=", 1) for l in f if "=" in l)

    def remove(self):
        if os.path.exists(self.sysfs):
            with open(os.path.join(self.sysfs, "remove"), "w") as f:
                f.write("1")


def digest(dev):
    """What must be equal on both sides after a migration."""
    st = dev.state()
    return {k: st[k] for k in ("type", "mem_crc32", "regs_crc32",
                                "queue_crc32", "intx_masked",
                                "dma_completed", "dma_queued", "dma_error",
                                "ctrl", "status", "irq_status")}


def round_trip(vm, dev, size=LEN):
    """A DMA the device does now lands in the VM's RAM (the device works)."""
    check(vm.status() == "running", "%s is %s, not running"
          % (vm.name, vm.status()))
    before = int(dev.state()["dma_completed"])
    pattern = int.from_bytes(os.urandom(4), "little") | 1
    dev.workload("fill %#x %d %#x" % (dev.gpa, size, pattern))
    wait_for("the fill to complete",
             lambda: int(dev.state()["dma_completed"]) > before
             and dev.state()["dma_queued"] == "0", timeout=60)
    check(dev.state()["dma_error"] == "0", "a DMA failed: dma_error=%s"
          % dev.state()["dma_error"])
    want = pattern.to_bytes(4, "little") * (size // 4)
    check(vm.ram(dev.gpa, size) == want,
          "guest RAM does not show the pattern the device wrote")
