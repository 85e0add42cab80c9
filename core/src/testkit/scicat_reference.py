"""Reference for tests: the SciCat metadata the reference writer (NXSDataWriter) makes at
CloseEntry with MetadataOutput "file", made by nxstools (put on PYTHONPATH) for an existing file.

Usage: /usr/bin/python3 scicat_reference.py FILE ENTRY  -> the JSON text on stdout

The options are the ones the reference writer passes to nxsfileinfo's Metadata.metadata. With the
h5py back end, nxstools fails on a top-level group without NX_class (/nexus_logs); the h5cpp back
end the reference normally runs with skips such groups, so this script does too.
"""
import sys
import types

from nxstools import filewriter, h5pywriter, nxsfileinfo


class EntriesOnly:
    """the file root as nxstools iterates it, without the groups that have no NX_class"""

    def __init__(self, root):
        self.root = root

    def __iter__(self):
        return (ch for ch in self.root if "NX_class" in [a.name for a in ch.attributes])

    def __getattr__(self, name):
        return getattr(self.root, name)


def writer_options(fname, entry):
    """the options NXSDataWriter passes to Metadata.metadata for one entry"""
    return types.SimpleNamespace(
        attrs=None, nattrs="nexdatas_source,nexdatas_strategy,units", values="",
        group_postfix="", entryclasses="NXentry", entrynames=entry, rawscientific=False,
        relpath="", ownergroup=None, accessgroups=None, pid=None, pap=False, beamtimeid=None,
        puuid=False, pfname=False, beamtimemeta=None, scientificmeta=None, output=None,
        args=[fname], emptyunits=False, fileformat="nxs")


def metadata(root, fname, entry):
    """the JSON text for an entry of an open nxstools file root"""
    return nxsfileinfo.Metadata.metadata(EntriesOnly(root), writer_options(fname, entry)) or ""


def main():
    fname, entry = sys.argv[1], sys.argv[2]
    fl = filewriter.open_file(fname, readonly=True, writer=h5pywriter)
    try:
        sys.stdout.write(metadata(fl.root(), fname, entry))
    finally:
        fl.close()


if __name__ == "__main__":
    main()
