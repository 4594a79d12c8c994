# JupyterHub for a class taking the applayer lessons. `applayer hub` (npm run hub)
# starts Debian's jupyterhub with this file and passes everything through
# APPLAYER_HUB_* variables; nothing here needs editing for a course.
#
#   APPLAYER_HUB_ROOT        the project (its node_modules and tslab kernelspec are shared by all)
#   APPLAYER_HUB_STATE       the hub's database, secrets, logs, and (workshop) the students' homes
#   APPLAYER_HUB_RELEASE     the released notebooks each home is seeded from
#   APPLAYER_HUB_BIND        host:port students open
#   APPLAYER_HUB_API_PORT, APPLAYER_HUB_PROXY_API_PORT   loopback ports for the hub's and the proxy's APIs
#   APPLAYER_HUB_WORKSHOP_PASSWORD   set: a new name logs in with this password and chooses its own; unset: PAM
#   APPLAYER_HUB_KERNEL_MEMORY_MB, APPLAYER_HUB_IDLE_S, APPLAYER_HUB_CULL_INTERVAL_S, APPLAYER_HUB_SPAWN_LIMIT,
#   APPLAYER_HUB_START_TIMEOUT_S
#   APPLAYER_HUB_API_TOKEN   a token for the instructor's scripts (an admin service named "applayer")
#   APPLAYER_HUB_NODE        the node binary that seeds homes
#   APPLAYER_HUB_CGROUP      the hub's cgroup folder (applayer/ID) under /sys/fs/cgroup/{cpu,memory,pids}
#   APPLAYER_HUB_STUDENT_CPUS, APPLAYER_HUB_STUDENT_MEMORY_MB, APPLAYER_HUB_STUDENT_PIDS   each student's caps
#
# Isolation: every student's server and kernels run as the student's own account
# (workshop: jupyter-NAME, made at the first spawn), in a 0700 home, inside the
# student's cgroups; the hub's files are its own (umask 077). classroom.py has the pieces.
import asyncio
import os
import pwd
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the project (students could not read it anyway)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classroom import NAME_PATTERN, ensure_account, make_cgroup, open_kernels_to, private_home, remove_cgroup  # noqa: E402

# Everything the hub writes (its database, cookie secret, logs, the proxy's files) is
# readable by root alone; the servers it starts inherit this too, so students' files are private.
os.umask(0o077)

c = get_config()  # noqa: F821 (JupyterHub defines it)
env = os.environ
root = env["APPLAYER_HUB_ROOT"]
state = env["APPLAYER_HUB_STATE"]
release = env["APPLAYER_HUB_RELEASE"]
host, port = env["APPLAYER_HUB_BIND"].rsplit(":", 1)
workshop_password = env.get("APPLAYER_HUB_WORKSHOP_PASSWORD")

c.JupyterHub.bind_url = f"http://{host}:{port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env['APPLAYER_HUB_API_PORT']}"
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the students' servers (their homes stay)

# Debian's configurable-http-proxy; the launcher puts /usr/share/nodejs on NODE_PATH for it.
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['APPLAYER_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"

# Who may log in.
c.JupyterHub.spawner_class = "classroom.StudentSpawner"
if workshop_password:
    # The workshop password admits a new name, which chooses its own password then (templates/login.html asks).
    c.JupyterHub.authenticator_class = "classroom.WorkshopAuthenticator"
    c.WorkshopAuthenticator.workshop_password = workshop_password
    c.WorkshopAuthenticator.passwords_file = f"{state}/workshop-passwords.json"
    c.Authenticator.username_pattern = NAME_PATTERN
    c.StudentSpawner.workshop_homes = f"{state}/homes"
    c.JupyterHub.template_paths = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")]
else:
    c.JupyterHub.authenticator_class = "pam"  # one system account per student
cgroup = env.get("APPLAYER_HUB_CGROUP", "")
c.StudentSpawner.cgroup = cgroup
c.StudentSpawner.cpus = float(env.get("APPLAYER_HUB_STUDENT_CPUS", "1"))
c.StudentSpawner.memory_mb = int(env.get("APPLAYER_HUB_STUDENT_MEMORY_MB", "2048"))
c.StudentSpawner.pids = int(env.get("APPLAYER_HUB_STUDENT_PIDS", "1024"))

# The single-user server: the classic Notebook (Debian packages no Jupyter Server).
memory = env.get("APPLAYER_HUB_KERNEL_MEMORY_MB", "1024")
idle = int(env.get("APPLAYER_HUB_IDLE_S", "3600"))
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/tree"
c.Spawner.environment = {
    "JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp",
    "JUPYTER_PATH": f"{root}/.jupyter/share/jupyter",  # the shared tslab kernelspec
    "NODE_OPTIONS": f"--max-old-space-size={memory}",  # each tslab kernel's heap cap
}
c.Spawner.args = [
    # The Notebook's own culling: idle kernels first, then the whole idle server.
    # A kernel stuck in a loop counts as idle once it has sent nothing for as long: culled too.
    f"--MappingKernelManager.cull_idle_timeout={idle}",
    f"--MappingKernelManager.cull_interval={env.get('APPLAYER_HUB_CULL_INTERVAL_S', '60')}",
    "--MappingKernelManager.cull_connected=True",
    "--MappingKernelManager.cull_busy=True",
    f"--NotebookApp.shutdown_no_activity_timeout={idle * 2}",
]
# tslab needs a second or two more than a Python kernel; a loaded machine more still.
c.Spawner.start_timeout = int(env.get("APPLAYER_HUB_START_TIMEOUT_S", "120"))
c.Spawner.http_timeout = int(env.get("APPLAYER_HUB_START_TIMEOUT_S", "120"))
c.JupyterHub.concurrent_spawn_limit = int(env.get("APPLAYER_HUB_SPAWN_LIMIT", "20"))


async def seed_home(spawner):
    """Makes the student's account (workshop), private home and cgroups, and copies the released notebooks in (never over edited ones)."""
    home = spawner.home
    entry = await ensure_account(spawner.account, home) if workshop_password else pwd.getpwnam(spawner.account)
    private_home(home, entry)
    await open_kernels_to(entry.pw_uid)
    if cgroup:
        make_cgroup(cgroup, spawner.user.name, spawner.cpus, spawner.memory_mb, spawner.pids)
    owner = ["--owner", spawner.account]
    proc = await asyncio.create_subprocess_exec(
        env.get("APPLAYER_HUB_NODE", "node"), f"{root}/lib/bin/applayer.js", "course", "seed", "--release", release, "--home", home,
        "--modules", f"{root}/node_modules", *owner,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    spawner.log.info("seeded %s: %s", home, out.decode().strip())
    if proc.returncode != 0:
        raise RuntimeError(f"seeding {home} failed: {out.decode().strip()}")


c.Spawner.pre_spawn_hook = seed_home
c.Spawner.post_stop_hook = lambda spawner: cgroup and remove_cgroup(cgroup, spawner.user.name)

# The instructor's scripts (npm run bench:class, the tests) use this admin token.
if env.get("APPLAYER_HUB_API_TOKEN"):
    c.JupyterHub.services = [{"name": "applayer", "api_token": env["APPLAYER_HUB_API_TOKEN"]}]
    c.JupyterHub.load_roles = [{"name": "applayer-admin", "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"], "services": ["applayer"]}]
