"""The class hub's own pieces, used by jupyterhub_config.py.

- StudentSpawner: each student's server (and so every kernel it starts) runs as
  the student's own unprivileged account, from a home only that account can
  open (0700), inside the student's cgroups (CPU, memory, process caps), so one
  student can neither read a classmate's work nor slow the class down.
  Its kernels listen on an address of the student's own, which the firewall
  (iptables, owner match) opens to the student's account only.
- WorkshopAuthenticator: the workshop password admits a *new* name only; its
  first login chooses a personal password, and from then on the name opens
  with that password alone, so nobody can log in as a classmate.
"""
import asyncio
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Float, Integer, Unicode

# A workshop name becomes the system account jupyter-NAME (The Littlest JupyterHub's scheme);
# useradd takes names of at most 32 characters, starting with a letter.
NAME_PATTERN = r"[a-z][a-z0-9_-]{0,23}"
ACCOUNT_PREFIX = "jupyter-"
# A personal password shorter than this is refused at the first login.
MIN_PASSWORD = 8
# scrypt's cost: 16 MiB and some 50 ms a try, RFC 7914 §2's interactive-login setting.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# cgroup v1 controllers, each mounted under /sys/fs/cgroup (no systemd here).
CGROUPS = "/sys/fs/cgroup"
CONTROLLERS = ("cpu", "memory", "pids")
# CFS accounting period: a quota of N·period is N cores.
CPU_PERIOD_US = 100_000
# The whole class's weight against the machine's other work (each other busy process weighs
# 1024): the class comes first, so its students get their quotas on a busy machine too.
CLASS_CPU_SHARES = 8192
# Kernels listen on loopback TCP (tslab cannot use Jupyter's ipc transport), and their IOPub
# channel is a ZeroMQ publisher anyone may subscribe to: each student's kernels listen on an
# address of their own in this range, which the firewall opens to that student's account only.
KERNEL_NET = "127.201.0.0/16"
KERNEL_CHAIN = "APPLAYER-KERNELS"
# useradd refuses while another process holds /etc/passwd's lock (exit 1 or 10): try again.
USERADD_TRIES = 10


def cgroup_dirs(group, name):
    """The student's folder under each controller: /sys/fs/cgroup/{cpu,memory,pids}/GROUP/NAME."""
    return [f"{CGROUPS}/{c}/{group}/{name}" for c in CONTROLLERS]


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def make_cgroup(group, name, cpus, memory_mb, pids):
    """Creates (or re-caps) the student's cgroups: at most `cpus` cores, `memory_mb` MiB, `pids` tasks."""
    cpu, memory, tasks = cgroup_dirs(group, name)
    for d in (cpu, memory, tasks):
        os.makedirs(d, exist_ok=True)
    _write(f"{CGROUPS}/cpu/{group.split('/')[0]}/cpu.shares", CLASS_CPU_SHARES)
    _write(f"{cpu}/cpu.cfs_period_us", CPU_PERIOD_US)
    _write(f"{cpu}/cpu.cfs_quota_us", int(cpus * CPU_PERIOD_US))
    _write(f"{memory}/memory.limit_in_bytes", memory_mb * 2**20)
    _write(f"{tasks}/pids.max", pids)


def remove_cgroup(group, name):
    """Removes the student's cgroups once empty; a kernel still ending keeps them (the hub's launcher sweeps at exit)."""
    for d in cgroup_dirs(group, name):
        try:
            os.rmdir(d)
        except OSError:
            pass


async def ensure_account(account, home):
    """Creates the workshop student's system account (no login shell, no password) unless it exists."""
    try:
        return pwd.getpwnam(account)
    except KeyError:
        pass
    for _ in range(USERADD_TRIES):
        proc = await asyncio.create_subprocess_exec(
            "useradd", "--system", "--user-group", "--no-create-home", "--home-dir", home,
            "--shell", "/usr/sbin/nologin", account, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        try:
            return pwd.getpwnam(account)  # made now, or by a concurrent spawn of the same name
        except KeyError:
            await asyncio.sleep(0.3)
    raise RuntimeError(f"useradd {account} failed: {err.decode().strip()}")


def kernel_ip(uid):
    """The student's own kernel address: 127.201.H.L from the uid's two low bytes."""
    return f"127.201.{(uid >> 8) & 255}.{uid & 255}"


async def _run(*cmd):
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, (out + err).decode().strip()


def _iptables(*args):
    return _run("iptables", "-w", *args)


_firewall = asyncio.Lock()  # spawns at once must not make the chain twice


async def open_kernels_to(uid):
    """Lets `uid` (and root, the hub's) reach the kernels on the student's address, and nobody else any KERNEL_NET address."""
    async with _firewall:
        await _open_kernels_to(uid)


async def _open_kernels_to(uid):
    # jupyter_client starts kernels only on an interface's address: the student's goes on lo (127/8 is lo's anyway).
    ip = kernel_ip(uid)
    if f"inet {ip}/32 " not in (await _run("ip", "-4", "addr", "show", "dev", "lo"))[1]:
        code, err = await _run("ip", "addr", "add", f"{ip}/32", "dev", "lo")
        if code != 0:
            raise RuntimeError(f"ip addr add {ip}/32 dev lo: {err}")
    if (await _iptables("-n", "-L", KERNEL_CHAIN))[0] != 0:
        await _iptables("-N", KERNEL_CHAIN)
        await _iptables("-A", KERNEL_CHAIN, "-m", "owner", "--uid-owner", "0", "-j", "RETURN")
        # Refuse the connection (a SYN): the reset goes back at once (its own packet, owned by no socket,
        # passes: only SYNs are refused), and nothing else can reach a kernel without a connection.
        await _iptables("-A", KERNEL_CHAIN, "-p", "tcp", "--syn", "-j", "REJECT", "--reject-with", "tcp-reset")
    jump = ("OUTPUT", "-o", "lo", "-d", KERNEL_NET, "-j", KERNEL_CHAIN)
    if (await _iptables("-C", *jump))[0] != 0:
        await _iptables("-I", *jump)
    mine = (KERNEL_CHAIN, "-m", "owner", "--uid-owner", str(uid), "-d", ip, "-j", "RETURN")
    if (await _iptables("-C", *mine))[0] != 0:
        code, err = await _iptables("-I", *mine)
        if code != 0:
            raise RuntimeError(f"iptables: {err}")


def private_home(home, entry):
    """The home belongs to the student and only the student may open it (0700)."""
    os.makedirs(home, mode=0o700, exist_ok=True)
    if os.stat(home).st_uid != entry.pw_uid:
        # A home made before homes had owners (or by root): hand all of it over.
        for dirpath, dirnames, filenames in os.walk(home):
            for n in [dirpath, *(os.path.join(dirpath, x) for x in dirnames + filenames)]:
                os.lchown(n, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)
    tmp = os.path.join(home, ".applayer", "tmp")
    os.makedirs(tmp, mode=0o700, exist_ok=True)
    for n in (os.path.dirname(tmp), tmp):
        os.lchown(n, entry.pw_uid, entry.pw_gid)


class StudentSpawner(LocalProcessSpawner):
    """A Notebook server as the student's own account, in the student's home and cgroups."""

    workshop_homes = Unicode("", config=True, help="Set: a workshop; homes are here, accounts are jupyter-NAME.")
    cgroup = Unicode("", config=True, help="The hub's cgroup folder under each controller, e.g. applayer/HUB.")
    cpus = Float(1.0, config=True, help="Cores a student's processes may use together.")
    memory_mb = Integer(2048, config=True, help="Memory a student's processes may use together.")
    pids = Integer(1024, config=True, help="Tasks (threads count) a student may have.")

    @property
    def account(self):
        return ACCOUNT_PREFIX + self.user.name if self.workshop_homes else self.user.name

    @property
    def home(self):
        if self.workshop_homes:
            return os.path.join(self.workshop_homes, self.user.name)
        return pwd.getpwnam(self.account).pw_dir

    def make_preexec_fn(self, name):
        entry = pwd.getpwnam(self.account)
        home = self.home
        procs = [f"{d}/cgroup.procs" for d in cgroup_dirs(self.cgroup, self.user.name)] if self.cgroup else []

        def preexec():
            # Still root, after fork and before exec: join the student's cgroups (every kernel the
            # server starts inherits them), then become the student for good.
            for p in procs:
                _write(p, os.getpid())
            os.setgid(entry.pw_gid)
            os.setgroups([entry.pw_gid])
            os.setuid(entry.pw_uid)
            os.chdir(home)

        return preexec

    def get_args(self):
        # The student's kernels listen on the student's own address (see KERNEL_NET).
        return [*super().get_args(), f"--KernelManager.ip={kernel_ip(pwd.getpwnam(self.account).pw_uid)}"]

    def user_env(self, env):
        env["USER"] = self.account
        env["HOME"] = self.home
        env["SHELL"] = "/bin/bash"
        env["TMPDIR"] = os.path.join(self.home, ".applayer", "tmp")  # not the shared /tmp
        return env

    async def move_certs(self, paths):
        raise NotImplementedError("internal TLS is not used by this hub")


def _scrypt(password, salt):
    return hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 2**20, **SCRYPT)


class WorkshopAuthenticator(Authenticator):
    """The workshop password admits a new name, which chooses its own password at that login.

    Claimed names and their salted scrypt hashes live in `passwords_file` (0600, the hub's alone).
    """

    workshop_password = Unicode(config=True)
    passwords_file = Unicode(config=True)

    def _load(self):
        try:
            with open(self.passwords_file) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _save(self, claimed):
        tmp = f"{self.passwords_file}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(claimed, f)
        os.replace(tmp, self.passwords_file)

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        password = data.get("password", "")
        chosen = data.get("new_password", "")
        if not re.fullmatch(NAME_PATTERN, name):
            return None
        loop = asyncio.get_running_loop()
        record = self._load().get(name)
        if record:  # claimed: only its own password opens it
            salt, digest = (bytes.fromhex(x) for x in record.split("$"))
            ok = hmac.compare_digest(await loop.run_in_executor(None, _scrypt, password, salt), digest)
            return name if ok else None
        if not hmac.compare_digest(password.encode(), self.workshop_password.encode()):
            return None
        if len(chosen) < MIN_PASSWORD or chosen == self.workshop_password:
            return None
        salt = secrets.token_bytes(16)
        digest = await loop.run_in_executor(None, _scrypt, chosen, salt)
        claimed = self._load()  # again: another login may have claimed it meanwhile (no await from here on)
        if name in claimed:
            return None
        claimed[name] = f"{salt.hex()}${digest.hex()}"
        self._save(claimed)
        return name
