"""The file being written, as scripts see it, backed by nxsw's sink through the channel.

* `commonblock["__root__"]`: the part of nxstools' file API (FTFile/FTGroup/FTField/FTLink,
  attribute managers, virtual field layouts and target views, link/get_links) that the
  nxstools.pyeval helpers use. When nxstools is importable these classes derive from its
  FT* classes, so `isinstance(x, filewriter.FTField)` holds, and while a script runs the
  module-level nxstools.filewriter functions resolve to this writer.
* `commonblock["__nxroot__"]` (and `.h5object` of every group): the h5py-like subset scripts use
  (`.filename`, `.name`, `.get()`, `.attrs`, `[]`, assigning `h5py.SoftLink`/`ExternalLink`).

Every object is a path; each operation is one call to nxsw (see ops in src/fileapi.ts).
"""
import contextlib
import os
import posixpath

from .values import from_python, to_python

try:
    from nxstools import filewriter as NXSTOOLS_FILEWRITER
except Exception:  # nxstools not installed: the same API without its base classes
    NXSTOOLS_FILEWRITER = None

try:
    import h5py
except Exception:
    h5py = None

UNLIMITED = (1 << 64) - 1 if h5py is None else h5py.h5s.UNLIMITED

TYPE_NAMES = {"str": "string", "unicode": "string", "string": "string", "int": "int64",
              "long": "int64", "float": "float64", "bool": "bool", "float16": "float32"}


class FileApiError(Exception):
    """an operation nxsw refused (the message says why)"""


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def element_type(dtype):
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    if getattr(dtype, "kind", None) in ("U", "S", "O"):
        return "string"
    return TYPE_NAMES.get(name, name)


def _base(name):
    return getattr(NXSTOOLS_FILEWRITER, name) if NXSTOOLS_FILEWRITER else object


def _ftinit(obj, h5object, parent):
    if NXSTOOLS_FILEWRITER:
        NXSTOOLS_FILEWRITER.FTObject.__init__(obj, h5object, parent)
    else:
        obj._h5object = h5object
        obj._tparent = parent


class _Tree(object):
    """parent and native object, as nxstools' FTObject offers them (also without nxstools)"""

    @property
    def parent(self):
        return self._tparent

    @property
    def h5object(self):
        return self._h5object


def _join(path, name):
    return posixpath.join(path, name) if not name.startswith("/") else name


# ---------------------------------------------------------------------------------------------
# h5py-like objects (__nxroot__, .h5object)

class AttributeProxy(object):
    """`.attrs` of an h5py-like object"""

    def __init__(self, api, path):
        self._api, self._path = api, path

    def __getitem__(self, name):
        value = self._api("attr_read", self._path, name)
        if value is None:
            raise KeyError("no attribute %s at %s" % (name, self._path))
        return to_python(value)

    def __setitem__(self, name, value):
        self._api("attr_write", self._path, name, from_python(value, "attribute " + name), None)

    def __contains__(self, name):
        return name in self.keys()

    def __iter__(self):
        return iter(self.keys())

    def keys(self):
        return self._api("attr_names", self._path)

    def get(self, name, default=None):
        return self[name] if name in self else default


class Node(object):
    def __init__(self, api, path, filename):
        self._api, self.name, self.filename = api, path, filename
        self.attrs = AttributeProxy(api, path)


class Dataset(Node):
    """an h5py-like dataset: shape, dtype, attrs, and its data read back with h5py"""

    def __init__(self, api, path, filename, info):
        Node.__init__(self, api, path, filename)
        self.shape = tuple(info.get("shape") or ())
        self.dtype = info.get("type")

    def __getitem__(self, key):
        # the sink writes; what it wrote is read back from the file after a flush, by h5py
        # without a lock (the writer holds it), as a live viewer of the file reads it
        if h5py is None:
            raise FileApiError("reading %s back needs h5py in the Python worker" % self.name)
        self._api("flush")
        with h5py.File(self.filename, "r", locking=False) as f:
            value = f[self.name][key]
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if getattr(value, "dtype", None) is not None and value.dtype.kind in ("O", "S"):
            return value.astype(str) if value.shape else _text(value[()])
        return value

    def __len__(self):
        return self.shape[0] if self.shape else 0


class Group(Node):
    """an h5py-like group"""

    def _info(self, name):
        return self._api("info", _join(self.name, name))

    def keys(self):
        return self._api("names", self.name)

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, name):
        return self._info(name)["kind"] != "missing"

    def __getitem__(self, name):
        path = _join(self.name, name)
        info = self._api("info", path)
        kind = info["kind"]
        if kind == "group":
            return Group(self._api, path, self.filename)
        if kind == "field":
            return Dataset(self._api, path, self.filename, info)
        if kind == "link":
            return link_object(self._api, path)
        raise KeyError("no object %s in %s" % (name, self.name))

    def get(self, name, default=None, getclass=False, getlink=False):
        if getlink:
            return link_object(self._api, _join(self.name, name)) if name in self else default
        try:
            return self[name]
        except KeyError:
            return default

    def __setitem__(self, name, value):
        kind = type(value).__name__
        if kind == "SoftLink" or isinstance(value, SoftLinkInfo):
            self._api("link", self.name, name, "soft", "", value.path)
        elif kind == "ExternalLink":
            self._api("link", self.name, name, "external", value.filename, value.path)
        elif isinstance(value, (Group, Dataset)):
            self._api("link", self.name, name, "hard", "", value.name)
        else:
            raise FileApiError("assigning a %s to %s/%s: only h5py.SoftLink and ExternalLink "
                               "are offered" % (kind, self.name, name))

    def create_group(self, name):
        self._api("create_group", self.name, name, "")
        return Group(self._api, _join(self.name, name), self.filename)

    def require_group(self, name):
        return self[name] if name in self else self.create_group(name)

    @property
    def parent(self):
        return Group(self._api, posixpath.dirname(self.name) or "/", self.filename)


class File(Group):
    """the root: the h5py-like view of the file being written (class name as h5py's)"""

    def __init__(self, api, filename):
        Group.__init__(self, api, "/", filename)

    @property
    def file(self):
        return self


class SoftLinkInfo(object):
    """h5py.SoftLink where h5py is missing: `.path` is the link's target"""

    def __init__(self, path):
        self.path = path


class ExternalLinkInfo(object):
    """h5py.ExternalLink where h5py is missing"""

    def __init__(self, filename, path):
        self.filename, self.path = filename, path


class HardLinkInfo(object):
    """h5py.HardLink where h5py is missing: an object's own name (no `.path`, as h5py's)"""


def link_object(api, path):
    """what h5py's `group.get(name, getlink=True)` returns: SoftLink(target), ExternalLink(file,
    path) or HardLink() (nxstools' h5py writer reads link targets from these)"""
    info = api("link_info", path)
    if not info:
        return h5py.HardLink() if h5py else HardLinkInfo()
    if info.get("file") is not None:
        return h5py.ExternalLink(info["file"], info["path"]) if h5py else ExternalLinkInfo(info["file"], info["path"])
    return h5py.SoftLink(info["path"]) if h5py else SoftLinkInfo(info["path"])


# ---------------------------------------------------------------------------------------------
# The nxstools file API

class FTAttribute(_Tree, _base("FTAttribute")):
    def __init__(self, api, path, name, dtype="string", parent=None):
        _ftinit(self, None, parent)
        self._api, self._path, self.name, self._dtype = api, path, name, dtype
        self.path = "%s@%s" % (path, name)

    @property
    def dtype(self):
        return self._dtype

    def write(self, value):
        if not isinstance(value, (list, tuple)) and not hasattr(value, "shape"):
            value = _cast(value, self._dtype)
        self._api("attr_write", self._path, self.name, from_python(value, self.path), self._dtype)

    def __setitem__(self, key, value):
        self.write(value)

    def read(self):
        value = self._api("attr_read", self._path, self.name)
        if value is None:
            raise FileApiError("no attribute %s" % self.path)
        return to_python(value)

    def __getitem__(self, key):
        return self.read()

    @property
    def shape(self):
        v = self._api("attr_read", self._path, self.name)
        return tuple(v.shape) if v is not None else ()

    def close(self):
        pass

    def reopen(self):
        pass

    @property
    def is_valid(self):
        return True


def _cast(value, dtype):
    """a scalar as the declared element type (the sink keeps the type the field was made with)"""
    if "int" in dtype:
        return int(value)
    if "float" in dtype:
        return float(value)
    if dtype == "bool":
        return bool(value)
    return value


class FTAttributeManager(_Tree, _base("FTAttributeManager")):
    def __init__(self, api, path, parent):
        _ftinit(self, None, parent)
        self._api, self.path = api, path

    def create(self, name, type, shape=None, overwrite=False):
        etype = element_type(type)
        if not overwrite and name in self.names():
            raise FileApiError("attribute %s@%s exists" % (self.path, name))
        return FTAttribute(self._api, self.path, name, etype, self)

    def names(self):
        return self._api("attr_names", self.path)

    def __len__(self):
        return len(self.names())

    def __iter__(self):
        return iter([self[n] for n in self.names()])

    def __contains__(self, name):
        return name in self.names()

    def __getitem__(self, name):
        if name not in self.names():
            raise KeyError("no attribute %s@%s" % (self.path, name))
        return FTAttribute(self._api, self.path, name, "string", self)

    def close(self):
        pass

    def reopen(self):
        pass


class _FTNodeMixin(_Tree):
    @property
    def attributes(self):
        return FTAttributeManager(self._api, self.path, self)

    @property
    def is_valid(self):
        return True

    def close(self):
        pass

    def reopen(self):
        pass

    def exists(self):
        return True


class FTField(_FTNodeMixin, _base("FTField")):
    def __init__(self, api, path, info, parent, filename):
        _ftinit(self, Dataset(api, path, filename, info), parent)
        self._api, self.path = api, path
        self.name = posixpath.basename(path)
        self._shape = tuple(info.get("shape") or ())
        self._dtype = info.get("type")

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def write(self, value):
        if not isinstance(value, (list, tuple)) and getattr(value, "shape", ()) == ():
            value = _cast(value, self._dtype)
            # h5py's `dataset[...] = value`, which nxstools' write is: a scalar fills the shape
            for n in reversed(self._shape):
                value = [value] * n
        self._api("write", self.path, from_python(value, self.path))
        self._shape = tuple(self._api("info", self.path).get("shape") or ())

    def __setitem__(self, key, value):
        self.write(value)

    def read(self):
        return self._h5object[()]

    def __getitem__(self, key):
        return self._h5object[key]

    def grow(self, dim=0, ext=1):
        raise FileApiError("growing %s from a script is not offered: nxsw appends STEP data "
                           "itself" % self.path)


class FTLink(_FTNodeMixin, _base("FTLink")):
    def __init__(self, api, path, parent):
        _ftinit(self, link_object(api, path), parent)
        self._api, self.path = api, path
        self.name = posixpath.basename(path)

    @property
    def target_path(self):
        """"file:/path" as nxstools' h5cpp writer gives it: the target of a soft or external link
        (with the external file's name), else the object's own path in this file"""
        info = self._api("link_info", self.path)
        target = info["path"] if info else self.path
        filename = (info or {}).get("file") or self._filename()
        return "%s:/%s" % (filename, target)

    def _filename(self):
        node = self._tparent
        while node is not None and not hasattr(node, "filename"):
            node = getattr(node, "_tparent", None)
        return node.filename if node is not None else ""


class FTGroup(_FTNodeMixin, _base("FTGroup")):
    def __init__(self, api, path, parent, filename):
        h5object = File(api, filename) if path == "/" else Group(api, path, filename)
        _ftinit(self, h5object, parent)
        self._api, self.path, self.filename = api, path, filename
        self.name = posixpath.basename(path) or "/"

    def _child(self, name, info):
        path = _join(self.path, name)
        if info["kind"] == "group":
            return FTGroup(self._api, path, self, self.filename)
        if info["kind"] == "field":
            return FTField(self._api, path, info, self, self.filename)
        if info["kind"] == "link":
            return FTLink(self._api, path, self)
        raise FileApiError("no object %s in %s" % (name, self.path))

    def open(self, name):
        return self._child(name, self._api("info", _join(self.path, name)))

    def names(self):
        return self._api("names", self.path)

    def exists(self, name=None):
        if name is None:
            return True
        return self._api("info", _join(self.path, name))["kind"] != "missing"

    def __len__(self):
        return len(self.names())

    def __iter__(self):
        return iter([self.open(n) for n in self.names()])

    @property
    def size(self):
        return len(self.names())

    def create_group(self, n, nxclass=""):
        self._api("create_group", self.path, n, nxclass or "")
        return FTGroup(self._api, _join(self.path, n), self, self.filename)

    def create_field(self, name, type, shape=None, chunk=None, dfilter=None):
        etype = element_type(type)
        # as both nxstools back ends: a string without shape or chunk is a scalar; any other
        # field without a shape is one element, [1], extensible (they create every field chunked)
        if etype == "string" and shape is None and chunk is None:
            dims = []
        else:
            dims = list(shape or [1])
        self._api("create_field", self.path, name, etype, dims)
        return self.open(name)

    def create_virtual_field(self, name, layout, fillvalue=None):
        spec = virtual_field_spec(layout, self.filename)
        if fillvalue is not None:
            spec["fillValue"] = fillvalue
        self._api("create_virtual_field", self.path, name, spec)
        return self.open(name)


class FTFile(_Tree, _base("FTFile")):
    """the file: `.name` is its path, `.writer` this module's writer, root() the root group"""

    def __init__(self, api, filename, writer):
        _ftinit(self, None, None)
        self.name, self.writer, self.path = filename, writer, ""
        self._root = FTGroup(api, "/", self, filename)
        self._h5object = self._root.h5object

    def root(self):
        return self._root

    def flush(self):
        pass

    def close(self):
        pass

    @property
    def readonly(self):
        return False


class FileCache(object):
    """one root object per file and path (split files change the file, not the scripts)"""

    def __init__(self, api):
        self._api = api
        self._key = None
        self._root = None

    def root(self, file):
        key = (file["path"], file.get("currentfileid"), file.get("stepsperfile"))
        if key != self._key:
            ftfile = FTFile(self._api, file["path"], WRITER)
            self._root = ftfile.root()
            self._root.currentfileid = file.get("currentfileid", 0)
            self._root.stepsperfile = file.get("stepsperfile", 0)
            self._key = key
        return self._root


# ---------------------------------------------------------------------------------------------
# Virtual datasets: an h5py VirtualLayout (what nxstools' h5pywriter builds) becomes the sink's
# VirtualFieldSpec: one mapping per source, each a regular hyperslab on both sides.

def _hyperslab(space):
    start, stride, count, block = space.get_regular_hyperslab()
    return {"start": list(start), "stride": list(stride), "block": list(block),
            "count": [-1 if c == UNLIMITED else c for c in count]}


def virtual_field_spec(layout, filename):
    vl = layout
    for attr in ("_h5object", "h5object"):
        vl = getattr(vl, attr, vl)
    if h5py is None or not hasattr(vl, "dcpl"):
        raise FileApiError("create_virtual_field needs an h5py VirtualLayout (from "
                           "virtual_field_layout), not a %s" % type(vl).__name__)
    dcpl = vl.dcpl
    here = os.path.abspath(filename)
    mappings = []
    for i in range(dcpl.get_virtual_count()):
        vspace = dcpl.get_virtual_vspace(i)
        sspace = dcpl.get_virtual_srcspace(i)
        srcfile = dcpl.get_virtual_filename(i)
        if not vspace.is_regular_hyperslab():
            raise FileApiError("mapping %d of the virtual layout is not a regular hyperslab" % i)
        mapping = {"file": "." if os.path.abspath(srcfile) == here else srcfile,
                   "dataset": dcpl.get_virtual_dsetname(i),
                   "virtualSelection": _hyperslab(vspace)}
        if sspace.get_select_type() == h5py.h5s.SEL_HYPERSLABS:
            if not sspace.is_regular_hyperslab():
                raise FileApiError("source %d of the virtual layout is not a regular "
                                   "hyperslab" % i)
            mapping["sourceSelection"] = _hyperslab(sspace)
        # the extent h5py gave the source (an unlimited selection does not need an unlimited one)
        mapping["sourceShape"] = list(sspace.get_simple_extent_dims())
        mappings.append(mapping)
    return {"type": element_type(vl.dtype), "shape": list(vl.shape),
            "maxShape": [-1 if m is None else m for m in (vl.maxshape or vl.shape)],
            "mappings": mappings}


class TargetFieldView(_Tree, _base("FTTargetFieldView")):
    def __init__(self, source, shape):
        _ftinit(self, source, None)
        self.shape = shape


class VirtualFieldLayout(_Tree, _base("FTVirtualFieldLayout")):
    def __init__(self, layout, shape):
        _ftinit(self, layout, None)
        self.shape = shape

    def __setitem__(self, key, view):
        self._h5object[key] = view.h5object

    def add(self, key, view, sourcekey=None, shape=None):
        self._h5object[key] = view.h5object if sourcekey is None else view.h5object[sourcekey]


class Writer(object):
    """what nxstools.filewriter's module functions call while a script runs"""

    @staticmethod
    def link(target, parent, name):
        if ":/" in target:
            filename, path = target.split(":/", 1)
            parent._api("link", parent.path, name, "external", filename, "/" + path.lstrip("/"))
        else:
            parent._api("link", parent.path, name, "soft", "", target)
        return FTLink(parent._api, _join(parent.path, name), parent)

    @staticmethod
    def get_links(parent):
        return [FTLink(parent._api, _join(parent.path, n), parent) for n in parent.names()]

    @staticmethod
    def unlimited(parent=None):
        return UNLIMITED

    @staticmethod
    def target_field_view(filename, fieldpath, shape, dtype=None, maxshape=None):
        if h5py is None:
            raise FileApiError("virtual datasets need h5py in the Python worker")
        maxshape = maxshape or [None for _ in shape or []]
        return TargetFieldView(h5py.VirtualSource(filename, fieldpath, tuple(shape or []),
                                                  dtype, tuple(maxshape)), tuple(shape or []))

    @staticmethod
    def virtual_field_layout(shape, dtype, maxshape=None):
        if h5py is None:
            raise FileApiError("virtual datasets need h5py in the Python worker")
        maxshape = maxshape or [None for _ in shape]
        return VirtualFieldLayout(h5py.VirtualLayout(tuple(shape), dtype, tuple(maxshape)),
                                  tuple(shape))

    @staticmethod
    def data_filter(*args, **kwargs):
        raise FileApiError("data filters are set by the XML <filter> tag in nxsw")

    deflate_filter = data_filter

    @staticmethod
    def open_file(*args, **kwargs):
        raise FileApiError("scripts write into the open file (commonblock['__root__']); "
                           "opening other files through the writer is not offered")

    create_file = load_file = open_file


WRITER = Writer()


@contextlib.contextmanager
def nxsw_writer_installed():
    """nxstools.filewriter's module-level functions use nxsw's writer while a script runs"""
    if NXSTOOLS_FILEWRITER is None:
        yield
        return
    previous = NXSTOOLS_FILEWRITER.writer
    NXSTOOLS_FILEWRITER.writer = WRITER
    try:
        yield
    finally:
        NXSTOOLS_FILEWRITER.writer = previous
