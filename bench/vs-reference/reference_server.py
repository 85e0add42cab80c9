#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) nxsw authors
"""Starts the reference NXSDataWriter Tango server (nexdatas/nxsdatawriter, on PYTHONPATH) with its
h5py back end, for bench/vs-reference/run.mjs.

Without a Tango database the device properties keep their class defaults, and the default Writer
("") means "the first of h5cpp, h5py, h5redis that imports": this sets the default to h5py so the
benchmark measures the same back end whether or not python3-h5cpp is installed.

  reference_server.py INSTANCE -nodb -port P -dlist a/b/c   (the usual PyTango server arguments)
"""
import sys

import nxswriter
from nxswriter import NXSWriter

NXSWriter.NXSDataWriterClass.device_property_list["Writer"][2] = ["h5py"]
# the server executable name Tango sees is the reference's own
nxswriter.run(["NXSDataWriter"] + sys.argv[1:])
