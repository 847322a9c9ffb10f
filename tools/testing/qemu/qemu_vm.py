# SPDX-License-Identifier: GPL-2.0
"""QEMU processes for the QEMU lanes: start one, drive it over QMP,
migrate it and read its RAM.

A library for the scripts of tools/testing/qemu/ that run inside a vm-run
guest (qemu_migrate.py, mtty_bench.py); it loads nothing itself. The VMs
are TCG with 128 MiB of RAM and no guest OS: the firmware is a few bytes
that halt the vCPU. Their devices are vfio-pci devices of mdev instances
(any object with a .sysfs path). See Documentation/qemu.rst.

Environment: QEMU (default qemu-system-x86_64), QEMU_ARGS (more
arguments, such as QEMU 10's -L directories), QEMU_PROTOCOL (v1, the
default, for QEMU 7.2; v2 for QEMU >= 8.1), QEMU_MIGRATION (v2 only: on,
the default, or auto: the devices get no migration option, QEMU's
default), QEMU_IOMMUFD (1: attach the devices through an iommufd backend
object instead of a type1 container), QEMU_UPGRADE and
QEMU_UPGRADE_ARGS (a QEMU 10 binary and its arguments: the client
UPGRADE, protocol v2, which a scenario may give a destination),
QEMU_LANE_LOGS (keep QEMU's logs there instead of in the temporary
directory WORK).
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
QEMU_ARGS = os.environ.get("QEMU_ARGS", "").split()
# How a vfio-pci device asks for migration: QEMU 7.2 (v1) has the
# experimental x-enable-migration; QEMU >= 8.1 (v2) has enable-migration,
# whose default "auto" blocks an mdev without device dirty tracking (see
# Documentation/qemu.rst), so "on".
PROTOCOL = os.environ.get("QEMU_PROTOCOL", "v1")
MIGRATION = os.environ.get("QEMU_MIGRATION", "on")
if MIGRATION not in ("on", "auto") or (MIGRATION == "auto" and
                                       PROTOCOL != "v2"):
    raise SystemExit("QEMU_MIGRATION=%s: on, or auto with QEMU_PROTOCOL=v2"
                     % MIGRATION)
MIGRATION_OPT = {"v1": "x-enable-migration=on",
                 "v2": "enable-migration=on"}[PROTOCOL]
if MIGRATION == "auto":
    MIGRATION_OPT = ""
IOMMUFD = os.environ.get("QEMU_IOMMUFD") == "1"


class Client:
    """A QEMU binary, its extra arguments, the VFIO migration protocol
    it speaks and the device option that asks for migration."""

    def __init__(self, qemu, args, protocol, migration_opt):
        self.qemu = qemu
        self.args = args
        self.protocol = protocol
        self.migration_opt = migration_opt


CLIENT = Client(QEMU, QEMU_ARGS, PROTOCOL, MIGRATION_OPT)
UPGRADE = None
if os.environ.get("QEMU_UPGRADE"):
    UPGRADE = Client(os.environ["QEMU_UPGRADE"],
                     os.environ.get("QEMU_UPGRADE_ARGS", "").split(), "v2",
                     "enable-migration=on")

# Sockets, firmware and RAM dumps; QEMU's logs too unless QEMU_LANE_LOGS.
WORK = tempfile.mkdtemp(prefix="qemu-lane-")
LOGS = os.environ.get("QEMU_LANE_LOGS", WORK)


class Fail(Exception):
    """A check that did not hold; the message says which."""


def check(cond, what):
    if not cond:
        raise Fail(what)


def note(msg):
    print("# " + msg, flush=True)


def wait_for(what, pred, timeout=60.0, step=0.1):
    """Poll pred() until it returns a true value, which is returned."""
    end = time.monotonic() + timeout
    while True:
        val = pred()
        if val:
            return val
        if time.monotonic() > end:
            raise Fail("timed out waiting for " + what)
        time.sleep(step)


def version(client=None):
    """The first line of QEMU --version."""
    out = subprocess.check_output([(client or CLIENT).qemu, "--version"],
                                  text=True)
    return out.splitlines()[0]


def tiny_firmware():
    """A 64 KiB "BIOS" whose reset vector halts the vCPU for good."""
    path = os.path.join(WORK, "halt.bin")
    if not os.path.exists(path):
        rom = bytearray(b"\xf4" * 0x10000)
        # At 0xfffffff0: cli; hlt; jmp back to the hlt.
        rom[0xfff0:0xfff4] = b"\xfa\xf4\xeb\xfd"
        with open(path, "wb") as f:
            f.write(rom)
    return path


class Qemu:
    """A QEMU process with its QMP socket.

    devs: the devices to attach (each with a .sysfs path), as vfio-pci
    devices mdma0, mdma1, ...; incoming: the URI to wait on for an incoming
    migration (the VM starts paused, -S); label: what its log's name
    starts with (LOGS/<label>-<name>.log); migration_opt: how the devices
    ask for migration (the client's by default; "" for QEMU's default);
    client: which QEMU (CLIENT by default); machine: the machine type.
    """

    def __init__(self, name, devs, incoming=None, label="vm",
                 migration_opt=None, client=None, machine="q35"):
        self.client = client = client or CLIENT
        self.name = name
        self.qmp_path = os.path.join(WORK, name + ".qmp")
        self.log_path = os.path.join(LOGS, "%s-%s.log" % (label, name))
        self.events = []
        args = [client.qemu] + client.args + [
                "-name", name, "-machine", machine, "-m", "128",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-accel", "tcg", "-bios", tiny_firmware(),
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        if client.protocol == "v2":
            # Each pre-copy iteration of a VFIO device leaves a line, and
            # device DMA logging one when it starts.
            args += ["-trace", "vfio_save_iterate",
                     "-trace", "vfio_device_dirty_tracking_start"]
        if IOMMUFD:
            args += ["-object", "iommufd,id=iommufd0"]
        for i, dev in enumerate(devs):
            opts = ["vfio-pci", "id=mdma%d" % i, "sysfsdev=" + dev.sysfs]
            opt = (client.migration_opt if migration_opt is None
                   else migration_opt)
            if opt:
                opts.append(opt)
            if IOMMUFD:
                opts.append("iommufd=iommufd0")
            args += ["-device", ",".join(opts)]
        if incoming:
            args += ["-incoming", incoming, "-S"]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.sock = None
        self.buf = b""
        wait_for(name + "'s QMP socket", self._connect, timeout=60)
        self._recv()    # the greeting
        self.cmd("qmp_capabilities")

    def has_open(self, path):
        """Whether the QEMU process holds @path open."""
        fds = "/proc/%d/fd" % self.proc.pid
        for fd in os.listdir(fds):
            try:
                if os.readlink(os.path.join(fds, fd)) == path:
                    return True
            except OSError:
                pass
        return False

    def _connect(self):
        if self.proc.poll() is not None:
            raise Fail("%s exited with %d: %s" % (self.name, self.proc.returncode,
                                                  self.log_text()))
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.qmp_path)
        except OSError:
            return False
        self.sock = s
        return True

    def _recv(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Fail("%s closed its QMP socket" % self.name)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        """Run a QMP command; returns its result or raises Fail."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._recv()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise Fail("%s: %s: %s" % (self.name, name,
                                           reply["error"]["desc"]))
            return reply["return"]

    def alive(self):
        return self.proc.poll() is None

    def status(self):
        return self.cmd("query-status")["status"]

    def migration(self):
        return self.cmd("query-migrate")

    def ram(self, addr, size):
        """Guest RAM [addr, addr + size), through QMP pmemsave."""
        path = os.path.join(WORK, "%s-%x.bin" % (self.name, addr))
        self.cmd("pmemsave", val=addr, size=size, filename=path)
        with open(path, "rb") as f:
            data = f.read()
        os.unlink(path)
        return data

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read().strip().replace("\n", " | ")

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)

    def close(self):
        if self.alive():
            try:
                self.cmd("quit")
            except (Fail, OSError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.sock:
            self.sock.close()
        self.log.close()


class Relay:
    """Carries a migration stream from the source to the destination's
    socket and counts its bytes: QEMU 7.2 counts only RAM in query-migrate
    (its "vfio" member never shows up here), so the stream's size minus
    the RAM bytes is what the devices (and QEMU's small device states)
    sent."""

    def __init__(self, dst_uri):
        self.path = os.path.join(WORK, "relay.sock")
        self.uri = "unix:" + self.path
        self.dst_path = dst_uri.split(":", 1)[1]
        self.bytes = 0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _pump(self, src, dst, count):
        try:
            while True:
                data = src.recv(1 << 20)
                if not data:
                    break
                dst.sendall(data)
                if count:
                    self.bytes += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self):
        conn, _ = self.listener.accept()
        out = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        out.connect(self.dst_path)
        back = threading.Thread(target=self._pump, args=(out, conn, False),
                                daemon=True)
        back.start()
        self._pump(conn, out, True)
        back.join()
        conn.close()
        out.close()

    def close(self):
        self.thread.join(timeout=30)
        self.listener.close()
        os.unlink(self.path)


def migrate(src, dst_uri, bandwidth=None, paused=False, downtime=300):
    """Start a migration from src, with a downtime limit of downtime ms.
    paused: the source VM is stopped, and QEMU 10 would never switch
    over: it sends nothing of a stopped device before the switchover, yet
    counts its whole state as pending against the bandwidth it measured
    (a trickle once RAM is sent) times the downtime limit. The bandwidth
    to assume is given instead."""
    params = {"downtime-limit": downtime}
    params["max-bandwidth"] = bandwidth or 1 << 30
    if paused and src.client.protocol == "v2":
        params["avail-switchover-bandwidth"] = params["max-bandwidth"]
    src.cmd("migrate-set-parameters", **params)
    src.cmd("migrate", uri=dst_uri)


def wait_migration(src, statuses, timeout=180):
    """Wait until query-migrate's status is one of statuses; return it."""
    def done():
        info = src.migration()
        return info if info.get("status") in statuses else None
    return wait_for("migration status in %s" % (statuses,), done,
                    timeout=timeout, step=0.1)


def final_numbers(src):
    """query-migrate of a completed migration once it has its times: QEMU
    sets "completed" a moment before it computes its final times."""
    return wait_for("QEMU's final numbers",
                    lambda: [i for i in [src.migration()]
                             if i.get("total-time")], timeout=10)[0]
