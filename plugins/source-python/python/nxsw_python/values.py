"""Python values <-> nxsw arrays, with the reference writer's rules: rank and shape from the
nesting of lists (or a numpy array's shape), the element type from the first element (a float
anywhere among integers widens to float64, a string, or a dict, anywhere makes strings)."""
import struct

from .codec import Array, STRUCT_CODES, INT64_MIN, INT64_MAX

try:
    import numpy
except ImportError:  # the worker runs without numpy; arrays then reach scripts as lists
    numpy = None

NUMPY_KINDS = {"i": "int", "u": "uint", "f": "float"}


def _nested(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nested(flat[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]


def to_python(arr):
    """the value a script sees: Python scalars, lists (aslist) or numpy arrays"""
    if arr.type == "string":
        return _nested(arr.data, arr.shape)
    if numpy is not None and not arr.aslist and arr.shape:
        dtype = "<" + ("u1" if arr.type == "bool" else numpy.dtype(arr.type).str[1:])
        out = numpy.frombuffer(arr.data, dtype=dtype).reshape(arr.shape).copy()
        return out.astype(bool) if arr.type == "bool" else out
    n = len(arr.data) // struct.calcsize(STRUCT_CODES[arr.type])
    flat = struct.unpack("<%d%s" % (n, STRUCT_CODES[arr.type]), arr.data)
    if arr.type == "bool":
        flat = [bool(v) for v in flat]
    return _nested(flat, arr.shape)


def _leaf_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64" if INT64_MIN <= v <= INT64_MAX else "uint64"
    if isinstance(v, float):
        return "float64"
    if numpy is not None and isinstance(v, numpy.generic):
        return _numpy_type(v.dtype)
    return "string"


def _numpy_type(dtype):
    if dtype.kind == "b":
        return "bool"
    if dtype.kind in NUMPY_KINDS:
        return "%s%d" % (NUMPY_KINDS[dtype.kind], dtype.itemsize * 8)
    return "string"


def _text(v):
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    return str(v)


def from_python(value, where="the value"):
    """an Array from a script's value; raises ValueError naming what cannot be stored"""
    if value is None:
        raise ValueError("%s is None" % where)
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        a = numpy.asarray(value)
        etype = _numpy_type(a.dtype)
        if etype == "string":
            return Array("string", a.shape, [_text(v) for v in a.ravel().tolist()])
        if etype == "float16":
            a, etype = a.astype("float32"), "float32"
        dtype = "<u1" if etype == "bool" else "<" + a.dtype.str[1:]
        return Array(etype, a.shape, numpy.ascontiguousarray(a, dtype=dtype).tobytes())
    shape = []
    level = value
    while isinstance(level, (list, tuple)):
        shape.append(len(level))
        if not level:
            break
        level = level[0]
    leaves = []
    _flatten(value, shape, 0, leaves, "value")
    etype = None
    for leaf in leaves:
        t = _leaf_type(leaf)
        if etype is None or t == etype:
            etype = t
        elif "string" in (t, etype):
            etype = "string"
        elif "float" in t or "float" in etype:
            etype = "float64"
        elif t != "bool" and etype != "bool":
            etype = "int64" if "int64" in (t, etype) and INT64_MIN <= min(leaves) else "uint64"
    etype = etype or "float64"
    if etype == "string":
        return Array("string", shape, [_text(v) for v in leaves])
    try:
        return Array(etype, shape, _pack(etype, leaves))
    except (struct.error, OverflowError) as e:
        raise ValueError("%s cannot be stored as %s: %s" % (where, etype, e))


def _pack(etype, leaves):
    """numbers as the little-endian bytes of a numeric element type (struct.error or OverflowError when they do not fit)"""
    if etype == "bool":
        leaves = [1 if v else 0 for v in leaves]
    elif "float" in etype:
        leaves = [float(v) for v in leaves]
    else:
        leaves = [int(v) for v in leaves]
    return struct.pack("<%d%s" % (len(leaves), STRUCT_CODES[etype]), *leaves)


def _flatten(node, shape, depth, out, where):
    if depth == len(shape):
        if isinstance(node, (list, tuple)):
            raise ValueError("ragged array: %s has more nesting than the first element" % where)
        if isinstance(node, dict) and depth == 0:
            raise ValueError("%s is a dict, not a value" % where)
        # a dict among a list's elements is text, its str(), as the reference stores it in a
        # string field (nxstools' secop_cmd gives SECoP's [value, {qualifiers}])
        out.append(node)
        return
    if not isinstance(node, (list, tuple)) or len(node) != shape[depth]:
        raise ValueError("ragged array: %s should have %d elements like the first one"
                         % (where, shape[depth]))
    for i, item in enumerate(node):
        _flatten(item, shape, depth + 1, out, "%s[%d]" % (where, i))


# the type names a decoder's `dtype` may give (the reference's list), as nxsw element types
DTYPE_ELEMENTS = {"long": "int64", "int": "int64", "int64": "int64", "int32": "int32",
                  "int16": "int16", "int8": "int8", "uint": "uint64", "uint64": "uint64",
                  "uint32": "uint32", "uint16": "uint16", "uint8": "uint8", "bool": "bool",
                  "float": "float64", "float64": "float64", "float32": "float32",
                  "float16": "float32", "str": "string", "unicode": "string",
                  "string": "string"}


def cast(arr, dtype, where="the value"):
    """arr with the element type a decoder's dtype names (unknown names leave it as it is)"""
    etype = DTYPE_ELEMENTS.get(str(dtype)) if dtype is not None else None
    if etype is None or etype == arr.type:
        return arr
    if arr.type == "string":
        if etype == "string":
            return arr
        raise ValueError("%s is text, but dtype is %s" % (where, dtype))
    n = len(arr.data) // struct.calcsize(STRUCT_CODES[arr.type])
    flat = struct.unpack("<%d%s" % (n, STRUCT_CODES[arr.type]), arr.data)
    if etype == "string":
        return Array("string", arr.shape, [str(v) for v in flat])
    try:
        return Array(etype, arr.shape, _pack(etype, flat))
    except (struct.error, OverflowError) as e:
        raise ValueError("%s cannot be stored as %s (the decoder's dtype): %s" % (where, dtype, e))


def rank(value):
    """the rank the reference gives a decoded value: nesting depth, text and bytes rank 0"""
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        return numpy.ndim(value)
    r = 0
    while isinstance(value, (list, tuple)) and len(value) > 0:
        r += 1
        value = value[0]
    if isinstance(value, (list, tuple)):
        return r + 1
    return r + (numpy.ndim(value) if numpy is not None and isinstance(value, numpy.ndarray) else 0)
