"""The worker's main loop: requests from nxsw in, replies out, one at a time.

Requests (lists): ["compile", sid, code, result, label], ["eval", sid, inputs, file, counter],
["reset"], ["class", cid, classpath, xml], ["classdata", cid, globaljson, localjson],
["forget", sid], ["vet", [[label, code], ...]], ["decoder", did, classpath, label],
["decode", did, format, bytes]. Replies: ["ok", value] or ["error", kind, type, message, line]. While a
script runs it may send ["call", op, args...] to nxsw (the file API) and waits for the reply.
"""
import collections
import copy
import importlib
import os
import sys
import traceback

from .codec import Channel, Array
from .values import from_python, to_python, cast, rank
from . import fileapi
from . import sandbox


# what the reference's DecoderPool requires of a decoder instance
DECODER_MEMBERS = ("load", "name", "shape", "decode", "dtype", "format")


class Variables(object):
    """the `ds` object of a script: inputs and the result as attributes"""


class ScriptError(Exception):
    def __init__(self, kind, etype, message, line):
        Exception.__init__(self, message)
        self.kind, self.etype, self.message, self.line = kind, etype, message, line


def _line_in(tb, label):
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == label:
            line = frame.lineno
    return line


class Worker(object):
    def __init__(self, channel, confinement=None, refusal=None):
        self.channel = channel
        # what sandbox.confine() did (None: not asked to confine)
        self.confinement = confinement
        # why every request is refused (sandbox "require" without a complete confinement)
        self.refusal = refusal
        self.scripts = {}
        self.classes = {}
        self.decoders = {}
        self.commonblock = {}
        self.files = fileapi.FileCache(self.call)
        # requests that arrived while a script waited for the answer to one of its calls
        self.backlog = collections.deque()

    # -- the file API's way back to nxsw --------------------------------------------------
    def call(self, op, *args):
        self.channel.send(["call", op] + list(args))
        while True:
            reply = self.channel.receive()
            if reply is None:
                sys.exit(0)
            if reply[0] in ("ok", "error"):
                break
            self.backlog.append(reply)
        if reply[0] == "ok":
            return reply[1]
        raise fileapi.FileApiError(reply[1])

    # -- requests -------------------------------------------------------------------------
    def serve(self):
        while True:
            request = self.backlog.popleft() if self.backlog else self.channel.receive()
            if request is None:
                return
            try:
                if self.refusal and request[0] != "hello":
                    raise ScriptError("sandbox", "PermissionError", self.refusal, None)
                value = getattr(self, "op_" + request[0])(*request[1:])
                reply = ["ok", value]
            except ScriptError as e:
                reply = ["error", e.kind, e.etype, e.message, e.line]
            except Exception as e:
                reply = ["error", "worker", type(e).__name__, str(e), None]
            self.channel.send(reply)

    def op_hello(self):
        return {"python": sys.version.split()[0], "executable": sys.executable,
                "nxstools": fileapi.NXSTOOLS_FILEWRITER is not None,
                "sandbox": self.confinement.as_dict() if self.confinement else None,
                "refused": self.refusal}

    def op_compile(self, sid, code, result, label):
        try:
            compiled = compile(code.strip(), label, "exec")
        except SyntaxError as e:
            raise ScriptError("syntax", "SyntaxError", e.msg, e.lineno)
        self.scripts[sid] = (compiled, result, "commonblock" in code)
        return None

    @staticmethod
    def op_vet(scripts):
        """compiles scripts (label, code) as op_compile does; returns the syntax errors found"""
        found = []
        for index, (label, code) in enumerate(scripts):
            try:
                compile(code.strip(), label, "exec")
            except SyntaxError as e:
                found.append([index, "SyntaxError", e.msg, e.lineno])
            except ValueError as e:  # e.g. a null byte in the source
                found.append([index, "ValueError", str(e), None])
        return found

    def op_forget(self, sid):
        self.scripts.pop(sid, None)
        self.classes.pop(sid, None)
        self.decoders.pop(sid, None)
        return None

    def op_reset(self):
        self.commonblock = {}
        return None

    def op_eval(self, sid, inputs, file, counter):
        compiled, result, common = self.scripts[sid]
        ds = Variables()
        for name, value in inputs.items():
            setattr(ds, name, to_python(value) if isinstance(value, Array) else value)
        setattr(ds, result, None)
        scope = {"ds": ds}
        if common:
            self.commonblock["__counter__"] = counter
            if file is not None:
                root = self.files.root(file)
                self.commonblock["__root__"] = root
                self.commonblock["__nxroot__"] = root.h5object
            scope["commonblock"] = self.commonblock
        with fileapi.nxsw_writer_installed():
            try:
                exec(compiled, {}, scope)
            except Exception as e:
                raise ScriptError("script", type(e).__name__, sandbox.annotate(e, self.confinement),
                                  _line_in(sys.exc_info()[2], compiled.co_filename))
        value = getattr(ds, result)
        if value is None:
            raise ScriptError("result", "ValueError",
                              "the script did not assign ds.%s" % result, None)
        try:
            return from_python(copy.deepcopy(value) if common else value, "ds.%s" % result)
        except ValueError as e:
            raise ScriptError("result", "ValueError", str(e), None)

    def op_class(self, cid, classpath, xml):
        module, _, name = classpath.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except Exception as e:
            raise ScriptError("import", type(e).__name__,
                              "cannot import %s: %s" % (classpath, e), None)
        missing = [m for m in ("setup", "getData", "isValid") if not hasattr(cls, m)]
        if missing:
            raise ScriptError("import", "TypeError", "%s has no %s (a datasource class needs "
                              "setup, getData and isValid)" % (classpath, ", ".join(missing)), None)
        source = cls()
        self._guarded(source.setup, xml)
        self.classes[cid] = source
        return None

    def op_classdata(self, cid, globaljson, localjson):
        source = self.classes[cid]
        if hasattr(source, "setJSON"):
            self._guarded(source.setJSON, globaljson, localjson)
        if not self._guarded(source.isValid):
            raise ScriptError("result", "ValueError", "isValid() returned False", None)
        data = self._guarded(source.getData)
        value = data.get("value") if isinstance(data, dict) else None
        if value is None:
            raise ScriptError("result", "ValueError", "getData() returned no value", None)
        try:
            return from_python(value, "getData()['value']")
        except ValueError as e:
            raise ScriptError("result", "ValueError", str(e), None)

    def op_decoder(self, did, classpath, label):
        """an instance of a decoder class for one encoding label, as the reference's DecoderPool
        makes it: a class without the members the reference checks is refused"""
        what = "the decoder class %s (encoding '%s')" % (classpath, label)
        module, _, name = classpath.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except Exception as e:
            raise ScriptError("import", type(e).__name__, "cannot import %s: %s" % (what, e), None)
        try:
            decoder = cls()
        except Exception as e:
            tb = traceback.extract_tb(sys.exc_info()[2])
            raise ScriptError("import", type(e).__name__, "%s() of %s failed: %s"
                              % (name, what, e), tb[-1].lineno if tb else None)
        missing = [m for m in DECODER_MEMBERS if not hasattr(decoder, m)]
        if missing:
            raise ScriptError("import", "TypeError", "%s has no %s (a decoder needs %s)"
                              % (what, ", ".join(missing), ", ".join(DECODER_MEMBERS)), None)
        self.decoders[did] = decoder
        return None

    def op_decode(self, did, fmt, data):
        """load((format, bytes)), shape(), decode() and dtype, with the reference's errors"""
        decoder = self.decoders[did]
        self._guarded(decoder.load, (fmt, data))
        shape = self._guarded(decoder.shape)
        if not shape:
            raise ScriptError("result", "ValueError",
                              "Encoding or Shape not defined: shape() returned %r" % (shape,), None)
        value = self._guarded(decoder.decode)
        if value is None:
            raise ScriptError("result", "ValueError", "Encoding of DevEncoded variables not "
                              "defined: decode() returned None", None)
        if rank(value) > 2:
            raise ScriptError("result", "ValueError", "Unsupported variables format: decode() "
                              "returned a value of rank %d (at most 2)" % rank(value), None)
        try:
            return cast(from_python(value, "decode()"), getattr(decoder, "dtype", None),
                        "decode()")
        except ValueError as e:
            raise ScriptError("result", "ValueError", str(e), None)

    def _guarded(self, fn, *args):
        try:
            return fn(*args)
        except Exception as e:
            tb = traceback.extract_tb(sys.exc_info()[2])
            raise ScriptError("script", type(e).__name__, sandbox.annotate(e, self.confinement),
                              tb[-1].lineno if tb else None)


def provide_nxswriter():
    """nxstools' nexdatas_version template (in the default component every beamline loads) reads
    the writer's version as `from nxswriter import __version__`: where the reference writer's
    package is not installed, a module of that name gives nxsw's version (docs/engine.md)"""
    import importlib.util
    import types
    try:
        if importlib.util.find_spec("nxswriter") is not None:
            return
    except (ImportError, ValueError):
        pass
    module = types.ModuleType("nxswriter", "nxsw's stand-in for the reference writer's package: its version")
    module.__version__ = os.environ.get("NXSW_VERSION", "")
    sys.modules["nxswriter"] = module


def main(confinement=None, refusal=None):
    """serves the channel; start.py confines the process first and passes what it did"""
    # descriptors the server's libraries opened without close-on-exec (an HDF5 file being
    # written) would otherwise stay open here, and with them the file's lock
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
    # the channel keeps the original stdin/stdout; what scripts print goes to stderr and
    # what they read comes from /dev/null
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    provide_nxswriter()
    Worker(Channel(channel_in, channel_out), confinement, refusal).serve()


if __name__ == "__main__":
    main()
