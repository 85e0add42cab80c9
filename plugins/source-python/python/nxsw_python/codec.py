"""The binary channel to nxsw: length-prefixed frames, each one tagged value.

Tags: N None, T/F bool, i int64, I big integer (decimal text), d float64, s str, b bytes,
l list, m dict (str keys), a array (element type, shape, raw little-endian data; strings as a
list). Arrays carry 64-bit integers exactly; nothing numeric goes through text.
"""
import struct

ELEMENT_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float32", "float64", "bool", "string"]
STRUCT_CODES = {"int8": "b", "int16": "h", "int32": "i", "int64": "q", "uint8": "B",
                "uint16": "H", "uint32": "I", "uint64": "Q", "float32": "f",
                "float64": "d", "bool": "B"}
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_u32 = struct.Struct("<I")
_i64 = struct.Struct("<q")
_f64 = struct.Struct("<d")


class Array(object):
    """An n-dimensional value as nxsw stores it: element type, shape, flat row-major data
    (bytes for numbers, a list of str for strings)."""
    __slots__ = ("type", "shape", "data", "aslist")

    def __init__(self, type, shape, data, aslist=True):
        self.type = type
        self.shape = tuple(shape)
        self.data = data
        self.aslist = aslist


def encode(value, out):
    """appends the encoding of value to the bytearray out"""
    if value is None:
        out += b"N"
    elif value is True:
        out += b"T"
    elif value is False:
        out += b"F"
    elif isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            out += b"i"
            out += _i64.pack(value)
        else:
            text = str(value).encode()
            out += b"I" + _u32.pack(len(text)) + text
    elif isinstance(value, float):
        out += b"d"
        out += _f64.pack(value)
    elif isinstance(value, str):
        raw = value.encode("utf-8", "surrogateescape")
        out += b"s" + _u32.pack(len(raw)) + raw
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        out += b"b" + _u32.pack(len(raw)) + raw
    elif isinstance(value, Array):
        out += b"a" + bytes((ELEMENT_TYPES.index(value.type), 1 if value.aslist else 0, len(value.shape)))
        for d in value.shape:
            out += _u32.pack(d)
        if value.type == "string":
            out += _u32.pack(len(value.data))
            for s in value.data:
                raw = s.encode("utf-8", "surrogateescape")
                out += _u32.pack(len(raw)) + raw
        else:
            out += _u32.pack(len(value.data)) + value.data
    elif isinstance(value, dict):
        out += b"m" + _u32.pack(len(value))
        for k, v in value.items():
            raw = str(k).encode()
            out += _u32.pack(len(raw)) + raw
            encode(v, out)
    elif isinstance(value, (list, tuple)):
        out += b"l" + _u32.pack(len(value))
        for v in value:
            encode(v, out)
    else:
        raise TypeError("cannot send a %s over the nxsw channel" % type(value).__name__)
    return out


def decode(buf, pos=0):
    """returns (value, next position)"""
    tag = buf[pos:pos + 1]
    pos += 1
    if tag == b"N":
        return None, pos
    if tag == b"T":
        return True, pos
    if tag == b"F":
        return False, pos
    if tag == b"i":
        return _i64.unpack_from(buf, pos)[0], pos + 8
    if tag == b"d":
        return _f64.unpack_from(buf, pos)[0], pos + 8
    if tag in (b"s", b"b", b"I"):
        n = _u32.unpack_from(buf, pos)[0]
        raw = bytes(buf[pos + 4:pos + 4 + n])
        pos += 4 + n
        if tag == b"s":
            return raw.decode("utf-8", "surrogateescape"), pos
        if tag == b"I":
            return int(raw), pos
        return raw, pos
    if tag == b"l":
        n = _u32.unpack_from(buf, pos)[0]
        pos += 4
        items = []
        for _ in range(n):
            v, pos = decode(buf, pos)
            items.append(v)
        return items, pos
    if tag == b"m":
        n = _u32.unpack_from(buf, pos)[0]
        pos += 4
        d = {}
        for _ in range(n):
            k = _u32.unpack_from(buf, pos)[0]
            key = bytes(buf[pos + 4:pos + 4 + k]).decode()
            pos += 4 + k
            d[key], pos = decode(buf, pos)
        return d, pos
    if tag == b"a":
        etype = ELEMENT_TYPES[buf[pos]]
        flags = buf[pos + 1]
        ndim = buf[pos + 2]
        pos += 3
        shape = struct.unpack_from("<%dI" % ndim, buf, pos)
        pos += 4 * ndim
        n = _u32.unpack_from(buf, pos)[0]
        pos += 4
        if etype == "string":
            data = []
            for _ in range(n):
                k = _u32.unpack_from(buf, pos)[0]
                data.append(bytes(buf[pos + 4:pos + 4 + k]).decode("utf-8", "surrogateescape"))
                pos += 4 + k
            return Array(etype, shape, data, bool(flags & 1)), pos
        data = bytes(buf[pos:pos + n])
        return Array(etype, shape, data, bool(flags & 1)), pos + n
    raise ValueError("unknown tag %r in a frame from nxsw" % tag)


class Channel(object):
    """frames over two binary file descriptors"""

    def __init__(self, infile, outfile):
        self.infile = infile
        self.outfile = outfile

    def send(self, message):
        body = encode(message, bytearray())
        self.outfile.write(_u32.pack(len(body)) + body)
        self.outfile.flush()

    def receive(self):
        head = self._read(4)
        if head is None:
            return None
        body = self._read(_u32.unpack(head)[0])
        return decode(body, 0)[0]

    def _read(self, n):
        chunks = []
        while n > 0:
            chunk = self.infile.read(n)
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)
