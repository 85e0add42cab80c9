"""Prints the tree of an HDF5/NeXus file with h5py: groups, datasets (dtype, shape), links, attributes."""
import sys

import h5py


def show(f, g, indent):
    for name in g.keys():
        link = g.get(name, getlink=True)
        pad = "  " * indent
        if isinstance(link, h5py.SoftLink):
            print(f"{pad}{name} -> {link.path}")
            continue
        if isinstance(link, h5py.ExternalLink):
            print(f"{pad}{name} -> {link.filename}:{link.path}")
            continue
        obj = g[name]
        attrs = ", ".join(f"@{k}={obj.attrs[k]!r}" for k in obj.attrs.keys() if k not in ("nexdatas_source",))
        if isinstance(obj, h5py.Group):
            print(f"{pad}{name}/  {attrs}")
            show(f, obj, indent + 1)
        else:
            value = ""
            if obj.size <= 4:
                v = repr(obj.asstr()[()] if h5py.check_string_dtype(obj.dtype) else obj[()])
                value = " = " + (v if len(v) <= 80 else f"{v[:60]}... ({len(v)} characters)")
            print(f"{pad}{name}  {obj.dtype} {obj.shape}{value}  {attrs}")


with h5py.File(sys.argv[1], "r") as f:
    print(f"{sys.argv[1]}  " + ", ".join(f"@{k}={f.attrs[k]!r}" for k in f.attrs.keys()))
    show(f, f, 1)
