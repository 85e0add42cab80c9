"""nxsw's Python worker: runs PYEVAL scripts and Python datasource classes for one writer
session, and gives scripts the nxstools-style file API of the file being written (MIT)."""
