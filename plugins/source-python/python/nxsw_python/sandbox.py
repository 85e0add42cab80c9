"""The worker's sandbox: Linux Landlock, a seccomp filter and (for root) dropped capabilities,
applied by start.py before the worker imports anything heavy and before it runs any script.

The process must have one thread when it is confined: Landlock and seccomp bind the calling
thread and the threads it starts afterwards (numpy's BLAS starts threads at import).

Policy: reading files and directories and the network stay allowed everywhere; writing,
creating, removing, renaming, truncating files and device ioctls are allowed only beneath the
writable paths (the worker's own temp dir, /dev/null, the plugin option writablePaths); running
programs (execve) and starting processes (fork) are allowed nowhere; from ABI 6 on, signals and abstract Unix sockets are
scoped to the worker (it cannot signal the server or any other process; before ABI 6 the
seccomp filter keeps signals to the worker's pid). A Landlock domain also cannot ptrace, or open
/proc/<pid>/mem of, a process outside it. The seccomp filter keeps prlimit, setpriority,
sched_set* and ioprio_set to the worker itself; a root worker keeps only the capabilities of
file access.

Rights the running kernel's ABI does not know are dropped (the Landlock documentation's
best-effort rule); `confine` reports what was applied and what is missing.
"""
import errno
import os
import stat
import sys

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13        # ABI 2
TRUNCATE = 1 << 14     # ABI 3
IOCTL_DEV = 1 << 15    # ABI 5

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1                # ABI 6

# what writable paths get: everything but reading (not handled, so allowed anyway) and executing
WRITE_RIGHTS = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG
                | MAKE_SOCK | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM | REFER | TRUNCATE | IOCTL_DEV)
# the rights that apply to a file (a rule on a file may only grant these)
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

# a worker of a server run as root keeps only the capabilities that file access needs
# (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER): no reboot, modules, mounts, raw sockets,
# setuid, clock, ... Landlock does not bound what capabilities allow
CAP_KEEP = (1 << 1) | (1 << 2) | (1 << 3)
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAPABILITY_VERSION_3 = 0x20080522

HINT = ("refused by the Python sandbox (Landlock): a script may read files and use the network, "
        "but may not write, create, remove or rename files outside the writable paths (%s), run "
        "programs, start processes, or signal, trace or re-limit other processes; an operator allows a folder with the "
        "option writablePaths of @nxsw/source-python, or turns the sandbox off with sandbox: false")


def handled_rights(abi):
    """the file-system rights the ruleset handles (denies unless a rule grants them), per ABI"""
    rights = WRITE_RIGHTS | EXECUTE
    if abi < 2:
        rights &= ~REFER
    if abi < 3:
        rights &= ~TRUNCATE
    if abi < 5:
        rights &= ~IOCTL_DEV
    return rights


def scopes(abi):
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


class Status(object):
    """what confine() did: confined, abi, missing (what the policy lacks), reason, writable, skipped"""

    def __init__(self, mode):
        self.mode = mode
        self.confined = False
        self.abi = 0
        self.missing = []
        self.reason = None
        self.writable = []
        self.skipped = []
        # threads of the process when it was confined (those started before stay outside)
        self.threads = None

    @property
    def complete(self):
        return self.confined and not self.missing

    def as_dict(self):
        return {"mode": self.mode, "confined": self.confined, "abi": self.abi,
                "missing": self.missing, "reason": self.reason, "writable": self.writable,
                "skipped": self.skipped, "threads": self.threads}

    def hint(self):
        return HINT % ", ".join(self.writable)


def _syscall():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fn = libc.syscall
    fn.restype = ctypes.c_long
    return ctypes, libc, fn


def abi_version():
    """the Landlock ABI of the running kernel, or (0, reason)"""
    if not sys.platform.startswith("linux"):
        return 0, "Landlock is a Linux feature and this is %s" % sys.platform
    try:
        ctypes, _, syscall = _syscall()
    except Exception as e:  # an interpreter without ctypes
        return 0, "ctypes is not available in this Python (%s)" % e
    abi = syscall(ctypes.c_long(SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                  ctypes.c_uint32(CREATE_RULESET_VERSION))
    if abi >= 1:
        # tests (and a cautious operator) can ask for an older ABI's policy, never a newer one
        forced = os.environ.get("NXSW_LANDLOCK_ABI")
        if forced is not None and forced.strip().isdigit() and int(forced) < abi:
            if int(forced) == 0:
                return 0, "NXSW_LANDLOCK_ABI=0 turns Landlock off"
            return int(forced), None
        return int(abi), None
    err = ctypes.get_errno()
    if err == errno.ENOSYS:
        why = "the kernel (%s) has no Landlock system calls (Linux 5.13 or later with " \
              "CONFIG_SECURITY_LANDLOCK is needed), or a seccomp filter hides them" % os.uname().release
    elif err == errno.EOPNOTSUPP:
        why = "Landlock is built into the kernel (%s) but not enabled (boot parameter lsm=...," \
              "landlock)" % os.uname().release
    elif err == errno.EPERM:
        why = "landlock_create_ruleset is refused (%s): a container's seccomp profile that " \
              "does not know Landlock refuses it" % os.strerror(err)
    else:
        why = "landlock_create_ruleset failed: %s" % os.strerror(err)
    return 0, why


def confine(mode, writable):
    """applies the policy to this process (and every process it starts); returns a Status"""
    status = Status(mode)
    try:
        return _confine(status, writable)
    except Exception as e:  # a Python or libc the code above did not foresee
        status.reason = status.reason or "the sandbox failed: %s: %s" % (type(e).__name__, e)
        if status.confined:
            status.missing.append("an unexpected failure (%s)" % e)
        return status


def _confine(status, writable):
    abi, why = abi_version()
    status.abi = abi
    if not abi:
        status.reason = why
        return status
    ctypes, libc, syscall = _syscall()

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                    ("scoped", ctypes.c_uint64)]

    class PathBeneathAttr(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    handled = handled_rights(abi)
    attr = RulesetAttr(handled, 0, scopes(abi))
    # an older kernel takes the part of the struct it knows
    size = ctypes.sizeof(RulesetAttr) if abi >= 6 else 8
    ruleset = syscall(ctypes.c_long(SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                      ctypes.c_uint32(0))
    if ruleset < 0:
        status.reason = "landlock_create_ruleset failed: %s" % os.strerror(ctypes.get_errno())
        return status
    try:
        for path in writable:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError as e:
                status.skipped.append([path, e.strerror])
                continue
            try:
                isdir = stat.S_ISDIR(os.fstat(fd).st_mode)
                rights = handled & WRITE_RIGHTS & (~0 if isdir else FILE_RIGHTS)
                rule = PathBeneathAttr(rights, fd)
                if syscall(ctypes.c_long(SYS_ADD_RULE), ctypes.c_int(ruleset),
                           ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    status.skipped.append([path, os.strerror(ctypes.get_errno())])
                else:
                    status.writable.append(path)
            finally:
                os.close(fd)
        if _prctl(ctypes, libc, PR_SET_NO_NEW_PRIVS, 1) != 0:
            status.reason = "prctl(PR_SET_NO_NEW_PRIVS) failed: %s" % os.strerror(ctypes.get_errno())
            return status
        filtered = install_seccomp(ctypes, libc, signals=abi < 6)
        for failed in (drop_capabilities(ctypes, libc), filtered):
            if failed:
                status.missing.append(failed)
        try:
            status.threads = len(os.listdir("/proc/self/task"))
        except OSError:
            pass
        if syscall(ctypes.c_long(SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            status.reason = "landlock_restrict_self failed: %s" % os.strerror(ctypes.get_errno())
            return status
    finally:
        os.close(ruleset)
    status.confined = True
    if abi < 3:
        status.missing.append("truncating files outside the writable paths (ABI 3)")
    if abi < 5:
        status.missing.append("device ioctls (ABI 5)")
    if abi < 6:
        status.missing.append("abstract Unix sockets (ABI 6, Linux 6.12)")
        if filtered:
            status.missing.append("signals to the server and other processes (ABI 6, Linux 6.12)")
    _audit_hints(status)
    return status


# What Landlock leaves open between processes of one user: lowering another process's resource
# limits (prlimit: RLIMIT_CPU kills it, RLIMIT_NOFILE stalls it), its priority, CPU affinity,
# scheduling policy and I/O priority. A seccomp filter lets these system calls act on the
# calling process only (pid 0); any other target is EPERM. Per architecture: its audit arch and
# syscall numbers; other architectures' and x32's system calls are refused as a whole.
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_EPERM = 0x7FFF0000, 0x00050000 | errno.EPERM
X32_SYSCALL_BIT = 0x40000000
# name: (x86_64, aarch64) numbers, and the (argument, value) pairs a call must have to pass
SELF_ONLY = {
    "setpriority": ((141, 140), [(0, 0), (1, 0)]),         # PRIO_PROCESS, pid 0
    "sched_setparam": ((142, 118), [(0, 0)]),
    "sched_setscheduler": ((144, 119), [(0, 0)]),
    "sched_setaffinity": ((203, 122), [(0, 0)]),
    "ioprio_set": ((251, 30), [(0, 1), (1, 0)]),           # IOPRIO_WHO_PROCESS, pid 0
    "prlimit64": ((302, 261), [(0, 0)]),
    "sched_setattr": ((314, 274), [(0, 0)]),
}
# Without Landlock's signal scoping (ABI < 6) the filter also keeps signals to the worker itself
# (its pid; kill(0) would reach the server's process group); pidfd_send_signal is refused.
SIGNALS = {
    "kill": ((62, 129), 0),
    "tkill": ((200, 130), 0),
    "tgkill": ((234, 131), 0),
    "rt_sigqueueinfo": ((129, 138), 0),
    "rt_tgsigqueueinfo": ((297, 240), 0),
    "pidfd_send_signal": ((424, 424), None),
}
# No new processes: a script cannot fork (a fork bomb would exhaust the host's pids, and a forked
# child would outlive the worker's time limit and its restarts). Threads are clones with
# CLONE_THREAD; clone3 passes its flags in memory the filter cannot read, so it answers ENOSYS
# and the C library falls back to clone. (x86_64, aarch64) numbers; None: no such call.
CLONE_THREAD = 0x00010000
PROCESSES = {
    "clone": ((56, 220), [("set", 0, CLONE_THREAD)]),
    "fork": ((57, None), []),
    "vfork": ((58, None), []),
}
CLONE3 = (435, 435)
SECCOMP_RET_ENOSYS = 0x00050000 | errno.ENOSYS
ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}


def seccomp_program(machine, signals_to=None):
    """the classic BPF filter as (code, jt, jf, k) tuples, or None for an unknown architecture;
    signals_to: the only pid signals may go to (None: signals are left to Landlock)"""
    if machine not in ARCHES:
        return None
    column, audit_arch = ARCHES[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, JMP|JEQ/JGE/JSET|K, RET|K
    rules = [(numbers[column], checks) for numbers, checks in
             list(SELF_ONLY.values()) + list(PROCESSES.values()) if numbers[column] is not None]
    if signals_to is not None:
        rules += [(numbers[column], [] if arg is None else [(arg, signals_to)])
                  for numbers, arg in SIGNALS.values()]
    prog = [(ld, 0, 0, 4), ("jne", audit_arch), (ld, 0, 0, 0)]
    if machine == "x86_64":
        prog.append(("jge", X32_SYSCALL_BIT))
    prog += [(jeq, 0, 1, CLONE3[column]), (ret, 0, 0, SECCOMP_RET_ENOSYS)]
    for nr, checks in sorted(rules, key=lambda rule: rule[0]):
        # an empty list of checks: the call is refused whatever its arguments; ("set", arg, bit):
        # the bit must be set in the argument; (arg, value): the argument must be the value
        block = []
        for check in checks:
            if check[0] == "set":
                block += [(ld, 0, 0, 16 + 8 * check[1]), ("jnset", check[2])]
            else:
                block += [(ld, 0, 0, 16 + 8 * check[0]), ("jne", check[1])]
        block.append((ret, 0, 0, SECCOMP_RET_ALLOW if checks else SECCOMP_RET_EPERM))
        # not this system call: over the block (the accumulator still holds the number)
        prog.append(("skip_unless", nr, len(block)))
        prog += block
    prog.append((ret, 0, 0, SECCOMP_RET_ALLOW))
    deny = len(prog)
    prog.append((ret, 0, 0, SECCOMP_RET_EPERM))
    out = []
    for i, ins in enumerate(prog):
        if ins[0] == "jne":      # on to the next instruction if equal, else refused
            out.append((jeq, 0, deny - i - 1, ins[1]))
        elif ins[0] == "jnset":  # on if the bit is set, else refused
            out.append((jset, 0, deny - i - 1, ins[1]))
        elif ins[0] == "jge":
            out.append((jge, deny - i - 1, 0, ins[1]))
        elif ins[0] == "skip_unless":
            out.append((jeq, 0, ins[2], ins[1]))
        else:
            out.append(ins)
    assert all(0 <= j < 256 for _, jt, jf, _k in out for j in (jt, jf))
    return out


def install_seccomp(ctypes, libc, signals):
    """the SELF_ONLY filter (and with `signals` the SIGNALS one) on this process; None, or what
    is missing"""
    program = seccomp_program(os.uname().machine, os.getpid() if signals else None)
    if program is None:
        return "keeping other processes' limits and priorities (no seccomp filter for %s)" \
            % os.uname().machine

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]
    filters = (SockFilter * len(program))(*[SockFilter(*ins) for ins in program])
    fprog = SockFprog(len(program), filters)
    if libc.prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER),
                  ctypes.byref(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        return "keeping other processes' limits and priorities (seccomp: %s)" \
            % os.strerror(ctypes.get_errno())
    return None


def _prctl(ctypes, libc, option, arg):
    """prctl with its arguments as the unsigned longs the kernel reads"""
    zero = ctypes.c_ulong(0)
    return libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), zero, zero, zero)


def drop_capabilities(ctypes, libc):
    """all capabilities but CAP_KEEP, from every set; None, or what failed"""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    header, data = Header(CAPABILITY_VERSION_3, 0), (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        return "dropping capabilities (capget: %s)" % os.strerror(ctypes.get_errno())
    held = [d.effective | d.permitted | d.inheritable for d in data]
    if not (held[0] & ~CAP_KEEP or held[1]):
        return None
    for cap in range(64):
        if not CAP_KEEP & (1 << cap):
            _prctl(ctypes, libc, PR_CAPBSET_DROP, cap)  # EINVAL past the last capability
    _prctl(ctypes, libc, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    for i, d in enumerate(data):
        keep = CAP_KEEP if i == 0 else 0
        d.effective, d.permitted, d.inheritable = d.effective & keep, d.permitted & keep, 0
    header = Header(CAPABILITY_VERSION_3, 0)
    if libc.capset(ctypes.byref(header), data) != 0:
        return "dropping capabilities (capset: %s)" % os.strerror(ctypes.get_errno())
    return None


def _audit_hints(status):
    """os.system reports a refused program as exit status 127 only: make it an error that says why"""
    hint = status.hint()
    if not hasattr(sys, "addaudithook"):  # Python before 3.8: os.system returns 127
        return

    def hook(event, args):
        if event == "os.system":
            raise PermissionError(errno.EACCES, "os.system(%r) %s" % (args[0], hint))
    sys.addaudithook(hook)


def _file_rights_allow(name):
    """whether the file's permissions (not the sandbox) allow writing or running `name`: then
    a PermissionError about it came from the sandbox"""
    if not isinstance(name, (str, bytes)):
        return True
    name = os.fsdecode(name)
    if os.sep not in name:
        import shutil
        found = shutil.which(name)
        return found is not None and os.access(found, os.X_OK)
    if os.path.lexists(name):
        return os.access(name, os.W_OK) or os.access(name, os.X_OK)
    parent = os.path.dirname(os.path.abspath(name))
    return os.access(parent, os.W_OK | os.X_OK)


def annotate(e, status):
    """the message of a PermissionError a confined script got, with what refused it and why (when
    the file's own permissions would have allowed the operation, or no file is concerned)"""
    text = str(e)
    if status is None or not status.confined or not isinstance(e, PermissionError) \
            or "Python sandbox" in text:
        return text
    try:
        ours = _file_rights_allow(e.filename)
    except Exception:
        ours = True
    return "%s (%s)" % (text, status.hint()) if ours else text
