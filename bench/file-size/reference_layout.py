"""Rewrites an HDF5 file as the reference writer lays it out (NXSDataWriter's h5py back-end through
nxstools, spec "Dataset creation rules"): every non-scalar dataset chunked with one record per
chunk, (1,) + frame, all axes unlimited; scalar strings contiguous; h5py's defaults otherwise
(libver earliest, no creation order). Same groups, datasets, values, attributes and links.

Usage: /usr/bin/python3 reference_layout.py IN.nxs OUT.nxs
Prints the size of OUT in bytes, as JSON.
"""
import json
import os
import sys

import h5py


def copy_attrs(src, dst):
    for k, v in src.attrs.items():
        dst.attrs.create(k, v, dtype=src.attrs.get_id(k).dtype)


def copy_group(src, dst):
    copy_attrs(src, dst)
    for name in src:
        link = src.get(name, getlink=True)
        if isinstance(link, h5py.SoftLink):
            dst[name] = h5py.SoftLink(link.path)
            continue
        if isinstance(link, h5py.ExternalLink):
            dst[name] = h5py.ExternalLink(link.filename, link.path)
            continue
        obj = src[name]
        if obj.name != src.name.rstrip("/") + "/" + name:
            # a second hard link to an object already copied (NXdata links)
            dst[name] = h5py.SoftLink(obj.name)
            continue
        if isinstance(obj, h5py.Group):
            copy_group(obj, dst.create_group(name))
        elif obj.shape == ():
            copy_attrs(obj, dst.create_dataset(name, data=obj[()], dtype=obj.dtype))
        else:
            chunks = (1,) + tuple(max(1, d) for d in obj.shape[1:])
            d = dst.create_dataset(name, shape=obj.shape, maxshape=(None,) * len(obj.shape), chunks=chunks, dtype=obj.dtype)
            if obj.size:
                d[...] = obj[...]
            copy_attrs(obj, d)


src_path, out_path = sys.argv[1], sys.argv[2]
with h5py.File(src_path, "r") as src, h5py.File(out_path, "w") as dst:
    copy_group(src, dst)
print(json.dumps({"bytes": os.path.getsize(out_path)}))
