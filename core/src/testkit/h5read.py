"""Independent reader for tests: dumps an HDF5 file as JSON using Debian's h5py.

Usage: /usr/bin/python3 h5read.py FILE [--swmr]
Output: {"attrs": {...}, "children": {name: node}} where a node is
  {"kind": "group", "attrs", "children"} | {"kind": "dataset", "attrs", "dtype", "shape", "maxshape",
   "chunks", "compression", "compression_opts", "shuffle", "filters", "value"}
  | {"kind": "softlink", "target"} | {"kind": "externallink", "file", "target"} (links are also
  followed: a soft link that resolves has "resolved": node)
"""
import json
import sys

import h5py
import numpy as np


def enc(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in ("S", "O", "U"):
            return [enc(x) for x in v.tolist()] if v.ndim else enc(v.item())
        if v.dtype.kind == "f":
            return [enc(x) for x in v.tolist()] if v.ndim else enc(v.item())
        if v.dtype.kind in ("i", "u") and v.dtype.itemsize == 8:
            return [enc(x) for x in v.tolist()] if v.ndim else enc(v.item())
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return str(v)
    if isinstance(v, np.generic):
        return enc(v.item())
    return v


def dtype_name(dt):
    if h5py.check_string_dtype(dt) is not None:
        return "string"
    if dt.kind == "b":
        return "bool"
    return dt.name


def attrs(obj):
    out = {}
    for k in obj.attrs.keys():
        v = obj.attrs[k]
        aid = obj.attrs.get_id(k)
        out[k] = {"value": enc(v), "dtype": dtype_name(aid.dtype), "shape": list(aid.shape) if aid.shape is not None else None}
    return out


def node(f, grp, name):
    link = grp.get(name, getlink=True)
    if isinstance(link, h5py.SoftLink):
        out = {"kind": "softlink", "target": link.path}
        try:
            out["resolved"] = describe(f, grp[name], shallow=True)
        except Exception:
            pass
        return out
    if isinstance(link, h5py.ExternalLink):
        out = {"kind": "externallink", "file": link.filename, "target": link.path}
        try:
            out["resolved"] = describe(f, grp[name], shallow=True)
        except Exception:
            pass
        return out
    return describe(f, grp[name])


def describe(f, obj, shallow=False):
    if isinstance(obj, h5py.Group):
        out = {"kind": "group", "attrs": attrs(obj)}
        if not shallow:
            out["children"] = {k: node(f, obj, k) for k in obj.keys()}
        else:
            out["children"] = {k: {} for k in obj.keys()}
        return out
    ds = obj
    plist = ds.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    out = {
        "kind": "dataset",
        "attrs": attrs(ds),
        "dtype": dtype_name(ds.dtype),
        "shape": list(ds.shape) if ds.shape is not None else None,
        "maxshape": [(-1 if m is None else m) for m in ds.maxshape] if ds.maxshape is not None else None,
        "chunks": list(ds.chunks) if ds.chunks else None,
        "compression": ds.compression,
        "compression_opts": ds.compression_opts,
        "shuffle": bool(ds.shuffle),
        "filters": filters,
    }
    if h5py.check_string_dtype(ds.dtype) is not None:
        out["value"] = enc(ds.asstr()[()]) if ds.size > 0 or ds.shape == () else []
    else:
        out["value"] = enc(ds[()])
    return out


def main():
    path = sys.argv[1]
    swmr = "--swmr" in sys.argv
    with h5py.File(path, "r", swmr=swmr) as f:
        out = {"attrs": attrs(f), "children": {k: node(f, f, k) for k in f.keys()},
               "libver": list(f.libver)}
        json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
