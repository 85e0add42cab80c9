// The worker's Landlock sandbox, with the real /usr/bin/python3 on this kernel: a script cannot
// kill or trace the server, write outside the writable paths or run programs; it still reads
// files; the operator's writable paths, sandbox "require" and sandbox false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NxswError, parseXml, silentLogger } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import type { NxValue, ReadContext } from '@nxsw/core';
import { PyEvalSourceType, PythonRuntime, PYTHON_DIR } from '../src/index.js';
import type { RuntimeOptions } from '../src/runtime.js';

/** the kernel's Landlock ABI as the worker sees it (0: none) */
const ABI = (() => {
  try {
    return Number(execFileSync(SYSTEM_PYTHON, ['-c', 'from nxsw_python import sandbox; print(sandbox.abi_version()[0])'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: PYTHON_DIR } }).trim());
  } catch {
    return 0;
  }
})();
const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const needs = (abi: number) => (ABI >= abi ? false : `this kernel's Landlock ABI is ${ABI}, the test needs ${abi}`);

interface Logged {
  warn: string[];
  info: string[];
  error: string[];
}

function runtime(extra: Partial<RuntimeOptions> = {}, logged: Logged = { warn: [], info: [], error: [] }): PythonRuntime {
  return new PythonRuntime({
    python: SYSTEM_PYTHON, scriptTimeoutMs: 5000, sinkName: () => "'test'",
    log: { ...silentLogger, warn: (m) => logged.warn.push(m), info: (m) => logged.info.push(m), error: (m) => logged.error.push(m) },
    ...extra,
  });
}

function ctx(shared: Map<string, unknown>): ReadContext {
  return {
    phase: 'STEP', step: 1, globalJson: { data: {} }, localJson: undefined,
    signal: new AbortController().signal, shared, file: undefined, decoder: () => { throw new Error('no decoders'); },
  };
}

/** runs one script in the runtime's worker for `shared` */
function run(rt: PythonRuntime, shared: Map<string, unknown>, script: string): Promise<NxValue> {
  const el = parseXml(`<definition>\n<datasource type="PYEVAL">\n<result name="r">\n${script}\n</result></datasource></definition>`).children[0]!;
  return new PyEvalSourceType(rt).create(el, { createSource: () => { throw new Error('no inputs'); } }).read(ctx(shared));
}

const text = (v: NxValue) => String((v.data as ArrayLike<unknown>)[0]);

/** the located, typed read error of a refused script, saying the sandbox refused it and how to allow a path */
function refused(type: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof NxswError, String(e));
    assert.equal(e.code, 'DATA_NOT_FOUND');
    assert.match(e.message, /the PYEVAL script at line 3 of \/definition\/datasource\/result\[r\] failed: /);
    assert.match(e.message, type);
    assert.match(e.message, /refused by the Python sandbox \(Landlock\).*option writablePaths of @nxsw\/source-python/);
    return true;
  };
}

test('a script that kills (or stops) its parent leaves the server running; the read fails saying why', { skip: needs(6) }, async () => {
  // "require" on a kernel with the whole policy: scripts run, confined
  const rt = runtime({ sandbox: 'require' });
  try {
    const shared = new Map<string, unknown>();
    for (const sig of ['SIGKILL', 'SIGSTOP', 'SIGTERM']) {
      await assert.rejects(run(rt, shared, `import os, signal\nos.kill(os.getppid(), signal.${sig})\nds.r = "alive?"`), refused(/PermissionError: \[Errno 1\] Operation not permitted/));
    }
    // nor another process of the server's user; nor a process group
    const other = spawn('sleep', ['30']);
    try {
      await assert.rejects(run(rt, shared, `import os\nos.kill(${other.pid}, 9)\nds.r = 1`), refused(/PermissionError/));
      // the worker's process group is the server's: a signal to the group reaches the worker alone
      assert.equal(text(await run(rt, shared, 'import os, signal\nsignal.signal(signal.SIGUSR2, signal.SIG_IGN)\nos.killpg(os.getpgid(0), signal.SIGUSR2)\nds.r = "sent"')), 'sent');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(other.exitCode, null);
      assert.equal(other.signalCode, null);
    } finally {
      other.kill();
    }
    // the worker still serves, and signals itself (its own domain)
    assert.equal(text(await run(rt, shared, 'import os, signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\nos.kill(os.getpid(), signal.SIGUSR1)\nds.r = "ok"')), 'ok');
  } finally {
    await rt.dispose();
  }
});

test('a script cannot trace the server or open its memory', { skip: needs(1) }, async () => {
  const rt = runtime();
  try {
    const shared = new Map<string, unknown>();
    await assert.rejects(run(rt, shared, 'import os\nopen("/proc/%d/mem" % os.getppid(), "r+b")\nds.r = 1'), refused(/PermissionError: \[Errno 13\] Permission denied: '\/proc\/\d+\/mem'/));
    const r = await run(rt, shared, 'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = libc.ptrace(16, os.getppid(), None, None)\nds.r = "%d %d" % (rc, ctypes.get_errno())');
    assert.equal(text(r), '-1 1', 'PTRACE_ATTACH to the server: EPERM');
  } finally {
    await rt.dispose();
  }
});

test('a server run as root: its worker keeps only the capabilities of file access (no raw sockets, chroot, reboot, ...)', { skip: needs(1) || (process.getuid?.() === 0 ? false : 'the server does not run as root') }, async () => {
  const rt = runtime();
  try {
    const shared = new Map<string, unknown>();
    const caps = text(await run(rt, shared, 'ds.r = " ".join(l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")))'));
    assert.equal(caps, '0000000000000000 000000000000000e 000000000000000e 000000000000000e 0000000000000000');
    await assert.rejects(run(rt, shared, 'import socket\nsocket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\nds.r = 1'), refused(/PermissionError: \[Errno 1\] Operation not permitted/));
    await assert.rejects(run(rt, shared, 'import os\nos.chroot("/")\nds.r = 1'), refused(/PermissionError/));
  } finally {
    await rt.dispose();
  }
});

test('every thread of the worker is confined (it confines itself before numpy starts its threads); other processes\' limits, priorities and affinity are out of reach', { skip: needs(1) }, async () => {
  const rt = runtime();
  const other = spawn('sleep', ['30']);
  try {
    const shared = new Map<string, unknown>();
    const seccomp = text(await run(rt, shared, 'import numpy, os\nnumpy.ones((300, 300)) @ numpy.ones((300, 300))\nds.r = " ".join(sorted(set([l.split()[1] for t in os.listdir("/proc/self/task") for l in open("/proc/self/task/%s/status" % t) if l.startswith("Seccomp:")])))'));
    assert.equal(seccomp, '2', 'every thread runs under the seccomp filter (installed with the Landlock domain)');
    for (const script of [
      `import resource\nresource.prlimit(${other.pid}, resource.RLIMIT_CPU, (0, 0))`,
      'import os, resource\nresource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (3, 3))',
      'import os\nos.setpriority(os.PRIO_PROCESS, os.getppid(), 19)',
      'import os\nos.setpriority(os.PRIO_PGRP, 0, 19)',
      'import os\nos.setpriority(os.PRIO_USER, 0, 19)',
      'import os\nos.sched_setaffinity(os.getppid(), {0})',
      'import os\nos.sched_setscheduler(os.getppid(), os.SCHED_IDLE, os.sched_param(0))',
    ]) await assert.rejects(run(rt, shared, `${script}\nds.r = 1`), refused(/PermissionError: \[Errno 1\] Operation not permitted/), script);
    assert.notEqual(readFileSync(`/proc/${process.pid}/limits`, 'utf8').match(/Max open files\s+(\d+)/)?.[1], '3');
    assert.match(readFileSync(`/proc/${other.pid}/limits`, 'utf8'), /Max cpu time\s+unlimited/);
    // its own limits and priority are the script's to change
    assert.equal(text(await run(rt, shared, 'import os, resource\nresource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))\nos.nice(1)\nos.sched_setaffinity(0, os.sched_getaffinity(0))\nds.r = "own"')), 'own');
  } finally {
    other.kill();
    await rt.dispose();
  }
});

test('a script cannot write, create, truncate, rename or remove files outside the writable paths; nothing is created', { skip: needs(3) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  const rt = runtime();
  try {
    const shared = new Map<string, unknown>();
    const kept = join(dir, 'kept.txt');
    writeFileSync(kept, 'original');
    const attempts: Array<[string, RegExp]> = [
      [`open(${JSON.stringify(join(dir, 'pwned'))}, "w").write("x")`, /PermissionError: \[Errno 13\] Permission denied: '.*pwned'/],
      [`open(${JSON.stringify(kept)}, "a").write("x")`, /PermissionError/],
      [`import os\nos.truncate(${JSON.stringify(kept)}, 0)`, /PermissionError/],
      [`import os\nos.rename(${JSON.stringify(kept)}, ${JSON.stringify(join(dir, 'moved'))})`, /PermissionError/],
      [`import os\nos.remove(${JSON.stringify(kept)})`, /PermissionError/],
      [`import os\nos.mkdir(${JSON.stringify(join(dir, 'sub'))})`, /PermissionError/],
      [`import os\nos.symlink("/etc/passwd", ${JSON.stringify(join(dir, 'link'))})`, /PermissionError/],
    ];
    for (const [script, type] of attempts) await assert.rejects(run(rt, shared, `${script}\nds.r = 1`), refused(type));
    assert.deepEqual(readdirSync(dir), ['kept.txt']);
    assert.equal(readFileSync(kept, 'utf8'), 'original');
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a script cannot run programs or start processes: os.system, subprocess, os.exec*, os.fork, multiprocessing; threads work', { skip: needs(1) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  const rt = runtime({ writablePaths: [dir] });
  try {
    const shared = new Map<string, unknown>();
    // even where the script may write, no program runs
    const marker = join(dir, 'ran');
    await assert.rejects(run(rt, shared, `import os\nos.system("touch ${marker}")\nds.r = 1`), refused(/PermissionError: \[Errno 13\] os.system\(b?'touch .*'\) refused by the Python sandbox/));
    await assert.rejects(run(rt, shared, `import subprocess\nsubprocess.run(["touch", "${marker}"])\nds.r = 1`), refused(/PermissionError: \[Errno 1\] Operation not permitted/));
    await assert.rejects(run(rt, shared, `import subprocess\nsubprocess.run(["/usr/bin/touch", "${marker}"])\nds.r = 1`), refused(/PermissionError/));
    await assert.rejects(run(rt, shared, `import subprocess\nsubprocess.check_output("id", shell=True)\nds.r = 1`), refused(/PermissionError/));
    // no new processes at all (a fork bomb, or a child that outlives the time limit); threads are fine
    await assert.rejects(run(rt, shared, 'import os\nif os.fork() == 0:\n    os._exit(0)\nds.r = 1'), refused(/PermissionError: \[Errno 1\] Operation not permitted/));
    await assert.rejects(run(rt, shared, 'import multiprocessing\nmultiprocessing.Process(target=print).start()\nds.r = 1'), refused(/PermissionError/));
    assert.equal(text(await run(rt, shared, 'import threading\nout = []\nt = threading.Thread(target=out.append, args=("thread",))\nt.start()\nt.join()\nds.r = out[0]')), 'thread');
    await assert.rejects(run(rt, shared, `import os\nos.popen("touch ${marker}").close()\nds.r = 1`), refused(/PermissionError/));
    // a script copying a program into a writable folder cannot run it either
    await assert.rejects(run(rt, shared, `import shutil, os, subprocess\nshutil.copy("/usr/bin/touch", "${dir}/t")\nos.chmod("${dir}/t", 0o755)\nsubprocess.run(["${dir}/t", "${marker}"])\nds.r = 1`), refused(/PermissionError/));
    // os.execv replaces the worker when it succeeds; refused, the worker goes on
    await assert.rejects(run(rt, shared, `import os\nos.execv("/usr/bin/touch", ["touch", "${marker}"])\nds.r = 1`), refused(/PermissionError/));
    assert.equal(existsSync(marker), false);
    assert.equal(text(await run(rt, shared, 'ds.r = "still serving"')), 'still serving');
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reading files, the network, imports, /dev/null, tempfile and the writable paths still work', { skip: needs(1) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  const logged: Logged = { warn: [], info: [], error: [] };
  const rt = runtime({ writablePaths: [dir, '/nonexistent/nxsw-path'] }, logged);
  try {
    const shared = new Map<string, unknown>();
    writeFileSync(join(dir, 'in.txt'), 'detector says 42');
    assert.equal(text(await run(rt, shared, `ds.r = open(${JSON.stringify(join(dir, 'in.txt'))}).read()`)), 'detector says 42');
    assert.equal(text(await run(rt, shared, 'import numpy, json, xml.dom.minidom\nds.r = open("/etc/hostname").read().strip() and "read"')), 'read');
    assert.equal(text(await run(rt, shared, 'import socket\ns = socket.socket()\ns.bind(("127.0.0.1", 0))\ns.listen(1)\nc = socket.create_connection(s.getsockname())\nds.r = "connected"')), 'connected');
    assert.equal(text(await run(rt, shared, 'import os\nwith open(os.devnull, "w") as f: f.write("x")\nds.r = "devnull"')), 'devnull');
    // tempfile: the worker's own temp dir (TMPDIR), removed with the worker
    const scratch = text(await run(rt, shared, 'import tempfile, os\nfd, p = tempfile.mkstemp()\nos.write(fd, b"x")\nos.close(fd)\nos.rename(p, p + ".done")\nds.r = os.path.dirname(p)'));
    assert.match(scratch, /nxsw-python-/);
    assert.ok(existsSync(scratch));
    // the operator's writable path: files are created, truncated, renamed and removed there
    const script = `import os\nd = ${JSON.stringify(dir)}\nopen(d + "/out.txt", "w").write("written")\nos.mkdir(d + "/sub")\nos.rename(d + "/out.txt", d + "/sub/out.txt")\nopen(d + "/gone", "w").close()\nos.remove(d + "/gone")\nds.r = "ok"`;
    assert.equal(text(await run(rt, shared, script)), 'ok');
    assert.equal(readFileSync(join(dir, 'sub', 'out.txt'), 'utf8'), 'written');
    assert.ok(logged.info.some((m) => /PYEVAL scripts run in the Landlock sandbox \(ABI \d+\)/.test(m)), logged.info.join('\n'));
    assert.deepEqual(logged.warn.filter((m) => /\/nonexistent\/nxsw-path/.test(m)).length, 1, 'a writable path that does not exist is logged once');
    await rt.dispose();
    for (let i = 0; i < 50 && existsSync(scratch); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(existsSync(scratch), false, 'the temp dir went with the worker');
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the OOM killer is pointed at the worker, not the server: the worker raises its own oom_score_adj, sandbox or not', async () => {
  for (const sandbox of ['landlock', false] as const) {
    const rt = runtime({ sandbox });
    try {
      assert.equal(text(await run(rt, new Map(), 'ds.r = open("/proc/self/oom_score_adj").read().strip()')), '1000', `sandbox ${sandbox}`);
      assert.notEqual(readFileSync('/proc/self/oom_score_adj', 'utf8').trim(), '1000', 'the server keeps its own score');
    } finally {
      await rt.dispose();
    }
  }
});

test('sandbox: false restores the old behaviour: a script writes and runs programs, with a warning logged once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  const logged: Logged = { warn: [], info: [], error: [] };
  const rt = runtime({ sandbox: false }, logged);
  try {
    const shared = new Map<string, unknown>();
    assert.equal(text(await run(rt, shared, `import os, subprocess\nopen(${JSON.stringify(join(dir, 'w'))}, "w").write("x")\nsubprocess.check_call(["touch", ${JSON.stringify(join(dir, 'p'))}])\nds.r = "done"`)), 'done');
    assert.deepEqual(readdirSync(dir).sort(), ['p', 'w']);
    await run(rt, new Map(), 'ds.r = 1');
    assert.equal(logged.warn.filter((m) => /the Python sandbox is off \(option sandbox: false of @nxsw\/source-python\)/.test(m)).length, 1, logged.warn.join('\n'));
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without Landlock: "landlock" runs scripts unconfined and logs once why; "require" refuses them with a clear error', async () => {
  const saved = process.env.NXSW_LANDLOCK_ABI;
  process.env.NXSW_LANDLOCK_ABI = '0'; // what a kernel without Landlock answers
  const logged: Logged = { warn: [], info: [], error: [] };
  const best = runtime({}, logged);
  const strict = runtime({ sandbox: 'require' }, logged);
  try {
    assert.equal(text(await run(best, new Map(), 'ds.r = "ran"')), 'ran');
    await run(best, new Map(), 'ds.r = "ran"');
    const unconfined = logged.warn.filter((m) => /PYEVAL scripts and Python classes run UNCONFINED.*the Landlock sandbox is not available: .*sandbox: "require"/.test(m));
    assert.equal(unconfined.length, 1, logged.warn.join('\n'));
    const shared = new Map<string, unknown>();
    for (let i = 0; i < 2; i++) {
      await assert.rejects(run(strict, shared, 'ds.r = "ran"'), (e: unknown) => e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE'
        && /the PYEVAL script at line 3 of .* was not run: the Python sandbox is required \(option sandbox "require" of @nxsw\/source-python\) but NXSW_LANDLOCK_ABI=0 turns Landlock off, so no script or Python class runs in this worker/.test(e.message));
    }
    assert.equal(logged.error.filter((m) => /PYEVAL scripts and Python classes are refused: the Python sandbox is required/.test(m)).length, 1, logged.error.join('\n'));
  } finally {
    if (saved === undefined) delete process.env.NXSW_LANDLOCK_ABI;
    else process.env.NXSW_LANDLOCK_ABI = saved;
    await best.dispose();
    await strict.dispose();
  }
});

test('an older Landlock ABI: its rights only; "require" refuses a kernel that cannot scope signals', { skip: needs(6) }, async () => {
  const saved = process.env.NXSW_LANDLOCK_ABI;
  process.env.NXSW_LANDLOCK_ABI = '3';
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  const logged: Logged = { warn: [], info: [], error: [] };
  const best = runtime({}, logged);
  const strict = runtime({ sandbox: 'require' }, logged);
  try {
    await assert.rejects(run(best, new Map(), `open(${JSON.stringify(join(dir, 'x'))}, "w")\nds.r = 1`), /refused by the Python sandbox/);
    assert.ok(logged.warn.some((m) => /Landlock sandbox of this kernel \(ABI 3\), which cannot refuse: device ioctls \(ABI 5\); abstract Unix sockets \(ABI 6, Linux 6.12\); writable:/.test(m)), logged.warn.join('\n'));
    // without Landlock's signal scoping the seccomp filter keeps signals to the worker itself
    const other = spawn('sleep', ['30'], { detached: true });
    try {
      const shared = new Map<string, unknown>();
      for (const script of [`os.kill(${other.pid}, 9)`, `os.killpg(${other.pid}, 9)`, `os.kill(-1, 0)`, `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.syscall(234 if os.uname().machine == "x86_64" else 131, ${other.pid}, ${other.pid}, 9):\n    raise PermissionError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))`]) {
        await assert.rejects(run(best, shared, `import os, signal\n${script}\nds.r = 1`), refused(/PermissionError: \[Errno 1\] Operation not permitted/), script);
      }
      assert.equal(text(await run(best, shared, 'import os, signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\nos.kill(os.getpid(), signal.SIGUSR1)\nds.r = "self"')), 'self');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(other.exitCode, null);
      assert.equal(other.signalCode, null);
    } finally {
      other.kill();
    }
    await assert.rejects(run(strict, new Map(), 'ds.r = 1'), /was not run: the Python sandbox is required .* but this kernel's Landlock \(ABI 3\) lacks: device ioctls/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    if (saved === undefined) delete process.env.NXSW_LANDLOCK_ABI;
    else process.env.NXSW_LANDLOCK_ABI = saved;
    await best.dispose();
    await strict.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Python datasource class named in the global JSON is confined too: its refused write is the located read error', { skip: needs(1) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-'));
  writeFileSync(join(dir, 'nxsw_sandbox_site.py'), `
class Writer(object):
    def setup(self, xml):
        pass
    def isValid(self):
        return True
    def getData(self):
        open(${JSON.stringify(join(dir, 'from-class'))}, "w").write("x")
        return {"value": 1}
`);
  const saved = process.env.PYTHONPATH;
  process.env.PYTHONPATH = [dir, saved].filter(Boolean).join(':');
  const rt = runtime();
  try {
    const el = parseXml('<definition>\n<datasource type="SITE"/></definition>').children[0]!;
    const src = new PyEvalSourceType(rt).createFromClass('nxsw_sandbox_site.Writer', el);
    await assert.rejects(src.read(ctx(new Map())), (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND'
      && /the Python datasource class nxsw_sandbox_site.Writer \(type SITE\) failed: PermissionError: \[Errno 13\] Permission denied: '.*from-class' \(refused by the Python sandbox \(Landlock\)/.test(e.message));
    assert.equal(existsSync(join(dir, 'from-class')), false);
  } finally {
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the temp dirs of workers still running when the server\'s process exits are removed', { skip: needs(1) }, () => {
  const serverTmp = mkdtempSync(join(tmpdir(), 'nxsw-sandbox-tmp-'));
  try {
    // a server whose session's worker is idle at the end (it does not keep the process alive) and never closed
    const program = `
      import { parseXml, silentLogger } from '@nxsw/core';
      import { PyEvalSourceType, PythonRuntime } from '@nxsw/source-python';
      const rt = new PythonRuntime({ python: ${JSON.stringify(SYSTEM_PYTHON)}, scriptTimeoutMs: 5000, log: silentLogger, sinkName: () => '' });
      const src = new PyEvalSourceType(rt).create(parseXml('<datasource type="PYEVAL"><result>import tempfile\\nds.result = tempfile.mkstemp()[1]</result></datasource>'), { createSource: () => undefined });
      const v = await src.read({ phase: 'STEP', step: 1, globalJson: { data: {} }, signal: new AbortController().signal, shared: new Map(), decoder: () => undefined });
      console.log(v.data[0]);`;
    const made = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', cwd: pkgDir, env: { ...process.env, TMPDIR: serverTmp } }).trim();
    assert.ok(made.startsWith(join(serverTmp, 'nxsw-python-')), made);
    assert.deepEqual(readdirSync(serverTmp), []);
  } finally {
    rmSync(serverTmp, { recursive: true, force: true });
  }
});
