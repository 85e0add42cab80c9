#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) nxsw authors
"""Compare what nxsw and the reference NXSDataWriter write for the same input.

The cases are nxstools' standard PYEVAL datasource templates (read at run time from the nxstools
copy in NXSTOOLS, NXSTOOLS_PATH or on PYTHONPATH; they are GPL and are not copied here) placed in the component
skeleton nxscreate puts them in, with their Tango inputs given as CLIENT records.

  refcompare.py cases                       list the cases
  refcompare.py prepare CASE DIR            write DIR/config.xml, global.json, records.jsonl,
                                            final.json and the detector files; print the run as JSON
  refcompare.py servers                     the cases that talk to a stand-in: "CASE KIND..." lines
  refcompare.py serve secop|tango           start the SECoP or the Tango stand-in (a PyTango device
                                            server without a database), print its port, serve until
                                            stdin closes (prepare reads the port from NXSW_SECOP_PORT,
                                            NXSW_TANGO_PORT)
  refcompare.py dump FILE [DIR]             the normalised object listing of FILE (DIR -> $DIR)
  refcompare.py listing DIR                 the listing of every .nxs file a run wrote into DIR
  refcompare.py compare [CASE...]           run both writers, diff their listings (exit 1 on a diff)
  refcompare.py golden [CASE...]            write the reference's listings to golden/CASE.txt

`compare` and `golden` need the reference writer: NXSW_REFERENCE_WRITER=<a checkout of
nexdatas/nxsdatawriter> (the directory holding the nxswriter package). Run with a Python that
has h5py and numpy (Debian's /usr/bin/python3). `prepare` and `dump` need only h5py: the e2e test
(e2e/test/python-reference.test.ts) uses them to check nxsw against the golden listings.
"""
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")
OUT = "scan_00012.nxs"


def nxstools_dir():
    for d in [os.environ.get("NXSTOOLS"), os.environ.get("NXSTOOLS_PATH")] + sys.path + os.environ.get("PYTHONPATH", "").split(":") + \
            [os.path.join(REPO, "..", "..", "shared", "reference", "nxstools"), "/work/shared/reference/nxstools"]:
        if d and os.path.isfile(os.path.join(d, "nxstools", "xmltemplates", "lambdavds.xml")):
            return os.path.abspath(d)
    sys.exit("refcompare: nxstools not found (set NXSTOOLS or put it on PYTHONPATH)")


# ---------------------------------------------------------------------------------------------
# the cases
# A skeleton names a template as @{file.ds.xml} (or @{file.ds.xml|name=x} for one use with its own
# placeholders); fill() puts the template there with nxscreate's placeholders filled: $(name),
# $(__insname__), the entry name, $var.X from "vars", $(X) from "subs", and every $datasources.X
# as the template "ds" maps X to, else a CLIENT datasource reading record X.

def client(name):
    return '<datasource type="CLIENT" name="%s"><record name="%s"/></datasource>' % (name, name)


def fill(text, case, out, over=None):
    subs = dict(case.get("subs", {}))
    subs.setdefault("name", case.get("name", "det"))
    subs.setdefault("__insname__", "instrument")
    subs.setdefault("__entryname__", "scan")
    subs.update(over or {})
    vars_ = dict(case.get("vars", {}))
    vars_["filename"] = out
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    text = re.sub(r"</?definition>", "", text).strip()
    text = text.replace("$var.entryname#'$(__entryname__)'$var.serialno", "scan")
    text = re.sub(r"\$\((\w+)\)", lambda m: str(subs[m.group(1)]), text)
    text = re.sub(r"\$var\.(\w+)", lambda m: str(vars_[m.group(1)]), text)
    inline = case.get("ds", {})
    return re.sub(r"\$datasources\.(\w+)",
                  lambda m: template(inline[m.group(1)], case, out) if m.group(1) in inline else client(m.group(1)),
                  text)


def template(ref, case, out):
    """ref: "file.ds.xml" or "file.ds.xml|key=value,..." (placeholders of this use only)"""
    fname, _, extra = ref.partition("|")
    over = dict(kv.split("=", 1) for kv in re.split(r",(?=\w+=)", extra) if kv)
    with open(os.path.join(nxstools_dir(), "nxstools", "xmltemplates", fname)) as f:
        return fill(f.read(), case, out, over)


def field(name, nxtype, mode, body, extra=""):
    return '<field name="%s" type="%s"%s><strategy mode="%s"/>%s</field>' % (name, nxtype, extra, mode, body)


def entry(*children, name="scan"):
    return '<definition><group type="NXentry" name="%s">%s</group></definition>' % (name, "".join(children))


def instrument(*children):
    return '<group type="NXinstrument" name="instrument">%s</group>' % "".join(children)


def detector(name, *children):
    return '<group type="NXdetector" name="%s">%s</group>' % (name, "".join(children))


def collection(*children):
    return '<group type="NXcollection" name="collection">%s</group>' % "".join(children)


def nxdata(*children):
    return '<group type="NXdata" name="data">%s</group>' % "".join(children)


def nxdata_link(name):
    """the NXdata link whose target the FINAL record NAME_nxdata gives"""
    return nxdata('<link name="%s">%s<strategy mode="FINAL"/></link>' % (name, client(name + "_nxdata")))


# the detectors' collections as nxscreate puts their VDS templates there: STEP fields collect the
# files, the FINAL trigger_mode builds the virtual dataset over them
LAMBDAVDS = collection(
    field("trigger_mode", "NX_INT16", "FINAL", "@{lambdavds_triggermode_cb.ds.xml}"),
    field("frame_numbers", "NX_INT64", "STEP", "@{lambdavds_framenumbers_cb.ds.xml}"),
    field("save_file_name", "NX_CHAR", "STEP", "@{lambdavds_savefilename_cb.ds.xml}"))
DALSAVDS = collection(
    field("trigger_mode", "NX_CHAR", "FINAL", "@{dalsavds_triggermode_cb.ds.xml}"),
    field("file_start_num", "NX_UINT64", "STEP", "@{dalsavds_filestartnum_cb.ds.xml}"),
    field("nr_exposed_frames", "NX_INT64", "STEP", "@{dalsavds_nrexposedframes_cb.ds.xml}"))

MX = "# Wavelength 1.03320 A\r\n# Detector_distance 0.32200 m\r\n# Beam_xy (1261.00, 1242.00) pixels\r\n" \
    "# Filter_transmission 0.1000"

# a Sardana environment, pickled (protocol 0) as the MacroServer's Environment attribute holds it,
# in a CLIENT record: a string, which mssar's helpers cannot unpickle (they take bytes)
SARDANA_ENV = "(dp0\nS'new'\np1\n(dp2\nS'ScanDir'\np3\nS'/gpfs/current/raw'\np4\nsS'SignalCounter'\np5\nS'exp_c02'\np6\nss."

CASES = {
    "pilatus": {
        "about": "pilatus: filestartnum_cb (STEP), mxparameters_cb writing fields and units through __root__,"
                 " postrun (FINAL), description (its script calls a helper nxstools lacks: canfail),"
                 " the NXdata link to the detector's data that the component makes",
        "name": "pilatus", "canfail": True,
        "xml": entry(instrument(detector(
            "pilatus",
            field("description", "NX_CHAR", "INIT", "@{pilatus_description.ds.xml}"),
            collection(
                field("postrun", "NX_CHAR", "FINAL", "@{pilatus_postrun.ds.xml}"),
                field("file_start_index_num", "NX_CHAR", "STEP", "@{pilatus_filestartnum_cb.ds.xml}"),
                field("mx_parameters", "NX_CHAR", "FINAL", "@{pilatus_mxparameters_cb.ds.xml}")))),
            # the component links the detector's data, which the pilatus writes elsewhere: dangling
            nxdata('<link target="scan/instrument/pilatus/data" name="pilatus"/>')),
        "records": [{"data": {"pilatus_filestartnum": 3 + 2 * i, "pilatus_nbframes": 2}} for i in range(3)],
        "final": {"data": {"pilatus_mxparameters": MX, "pilatus_filedir": "C:\\data\\p09\\",
                           "pilatus_filepostfix": ".cbf", "pilatus_fileprefix": "pil_",
                           "pilatus_filestartnum": 9, "pilatus_nbframes": 2}},
    },
    "lambda": {
        "about": "lambda external_data: an external link from a FINAL datasource to the detector's own file",
        "name": "lmbd",
        "xml": entry(instrument(
            detector("lmbd", field("description", "NX_CHAR", "INIT", "lmbd")),
            '<link name="lmbd_m1">@{lambda_external_data.ds.xml}<strategy mode="FINAL"/></link>'),
            nxdata_link("lmbd")),
        "files": [("scan_00012/lmbd/m_00001.nxs", [2, 3, 4], "int32", 0)],
        "records": [{}],
        "final": {"data": {"lmbd_savefilename": "m_00001", "lmbd_saveallimages": 1, "lmbd_framesperfile": 2,
                           "lmbd_framenumbers": 2, "lmbd_filepostfix": "nxs",
                           "lmbd_nxdata": "/scan/instrument/lmbd_m1/data"}},
    },
    "lambdavds": {
        "about": "lambdavds: savefilename_cb and framenumbers_cb (STEP) collect the files, triggermode_cb"
                 " (FINAL) builds a virtual dataset over them; the NXdata link from a datasource",
        "name": "lmbd", "vds": True,
        "xml": entry(instrument(detector("lmbd", LAMBDAVDS)), nxdata_link("lmbd")),
        "files": [("scan_00012/lmbd/m_00001.nxs", [3, 2, 4], "int32", 0),
                  ("scan_00012/lmbd/m_00002.nxs", [3, 2, 4], "int32", 100)],
        "records": [{"data": {"lmbd_savefilename": "m_0000%d" % (i + 1), "lmbd_framenumbers": 3}} for i in range(2)],
        "final": {"data": {"lmbd_savefilename": "m_00002", "lmbd_framenumbers": 3, "lmbd_triggermode": 0,
                           "lmbd_saveallimages": 1, "lmbd_framesperfile": 3, "lmbd_height": 2, "lmbd_width": 4,
                           "lmbd_opmode": 24, "lmbd_filepostfix": "nxs",
                           "lmbd_nxdata": "/scan/instrument/lmbd/data"}},
    },
    "lambdavdsparts": {
        "about": "lambdavds with more frames than a file holds: one step's frames over three _part files"
                 " (11, 11, 3), the next step's in one file, 16-bit (opmode 12)",
        "name": "lmbd", "vds": True,
        "xml": entry(instrument(detector("lmbd", LAMBDAVDS))),
        "files": [("scan_00012/lmbd/m_00001_part%05d.nxs" % i, [n, 2, 3], "int16", 1000 * i)
                  for i, n in enumerate([11, 11, 3])] + [("scan_00012/lmbd/m_00002.nxs", [5, 2, 3], "int16", 5000)],
        "records": [{"data": {"lmbd_savefilename": "m_00001", "lmbd_framenumbers": 25}},
                    {"data": {"lmbd_savefilename": "m_00002", "lmbd_framenumbers": 5}}],
        "final": {"data": {"lmbd_savefilename": "m_00002", "lmbd_framenumbers": 5, "lmbd_triggermode": 1,
                           "lmbd_saveallimages": 1, "lmbd_framesperfile": 11, "lmbd_height": 2, "lmbd_width": 3,
                           "lmbd_opmode": 12, "lmbd_filepostfix": "nxs"}},
    },
    "lambdavdsnm": {
        "about": "lambdavdsnm: two modules side by side, their translations from JSON, unlimited mappings",
        "name": "lmbd", "vds": True,
        # nxscreate fills $(__insname__) of this template as a Python expression: a quoted name
        "subs": {"__insname__": '"instrument"'},
        "xml": entry(instrument(detector(
            "lmbd", collection(field("trigger_mode", "NX_INT16", "FINAL", "@{lambdavdsnm_triggermode_cb.ds.xml}"))))),
        "files": [("scan_00012/lmbd/m_00001_m1.nxs", [3, 2, 4], "int32", 0),
                  ("scan_00012/lmbd/m_00001_m2.nxs", [3, 2, 4], "int32", 100)],
        "records": [{}],
        "final": {"data": {"lmbd_triggermode": 0, "lmbd_translations": json.dumps({"m1": [0, 0, 0], "m2": [0, 0, 4]}),
                           "lmbd_saveallimages": 1, "lmbd_filepostfix": "nxs", "lmbd_framenumbers": 3,
                           "lmbd_height": 2, "lmbd_width": 4, "lmbd_opmode": 24, "lmbd_savefilename": "m_00001"}},
    },
    "dalsavds": {
        "about": "dalsavds: filestartnum_cb and nrexposedframes_cb (STEP) in the common block, triggermode"
                 " (FINAL) builds a virtual dataset over one file per frame (SingleFrame)",
        "name": "dalsa", "vds": True,
        "xml": entry(instrument(detector("dalsa", DALSAVDS)), nxdata_link("dalsa")),
        "files": [("scan_00012/dalsa/dl_%05d.nxs" % i, [1, 3, 2], "uint16", 10 * i) for i in range(3)],
        "records": [{"data": {"dalsa_filestartnum": i + 1, "dalsa_nrexposedframes": i + 1}} for i in range(3)],
        "final": {"data": {"dalsa_filedir": "/ramdisk/", "dalsa_fileprefix": "dl", "dalsa_filepostfix": "nxs",
                           "dalsa_filestartnum": 3, "dalsa_filesaving": 1, "dalsa_triggermode": "ExtTrigger",
                           "dalsa_framespernxfile": 10, "dalsa_pixelformat": "Mono16", "dalsa_height": 3,
                           "dalsa_width": 2, "dalsa_acquisitionmode": "SingleFrame",
                           "dalsa_acquisitionframecount": 1, "dalsa_nrexposedframes": 3,
                           "dalsa_nxdata": "/scan/instrument/dalsa/data"}},
    },
    "dalsavdsmulti": {
        "about": "dalsavds in MultiFrame mode: 4 frames per step in files of at most 3 (the helper prints"
                 " on stdout on the way), 8-bit",
        "name": "dalsa", "vds": True,
        "xml": entry(instrument(detector("dalsa", DALSAVDS))),
        "files": [("scan_00012/dalsa/dm_%05d.nxs" % i, [n, 2, 2], "uint8", 10 * i) for i, n in enumerate([3, 1, 3, 1])],
        "records": [{"data": {"dalsa_filestartnum": 2 * (i + 1), "dalsa_nrexposedframes": 4 * (i + 1)}} for i in range(2)],
        "final": {"data": {"dalsa_filedir": "/ramdisk/", "dalsa_fileprefix": "dm", "dalsa_filepostfix": "nxs",
                           "dalsa_filestartnum": 4, "dalsa_filesaving": True, "dalsa_triggermode": "Internal",
                           "dalsa_framespernxfile": 3, "dalsa_pixelformat": "Mono8", "dalsa_height": 2,
                           "dalsa_width": 2, "dalsa_acquisitionmode": "MultiFrame",
                           "dalsa_acquisitionframecount": 4, "dalsa_nrexposedframes": 8}},
    },
    "limaccd": {
        "about": "limaccd: filestartnum_cb (STEP), postrun (FINAL) from the common block,"
                 " description (its script calls a helper nxstools lacks: canfail)",
        "name": "lima", "canfail": True,
        "xml": entry(instrument(detector(
            "lima",
            field("description", "NX_CHAR", "INIT", "@{limaccd_description.ds.xml}"),
            collection(
                field("postrun", "NX_CHAR", "FINAL", "@{limaccd_postrun.ds.xml}"),
                field("saving_next_number", "NX_INT64", "STEP", "@{limaccd_filestartnum_cb.ds.xml}")))),
            nxdata('<link target="scan/instrument/lima/collection/saving_next_number" name="lima"/>')),
        "global": {"data": {"lima_camera_type": "Simulator", "lima_camera_model": "Generator"}},
        "records": [{"data": {"lima_saving_next_number": 5 + 4 * i, "lima_acq_nb_frames": 4}} for i in range(3)],
        "final": {"data": {"lima_saving_next_number": 17, "lima_saving_directory": "/gpfs/current/raw/lima/",
                           "lima_saving_suffix": ".edf", "lima_acq_nb_frames": 4, "lima_saving_format": "%05d",
                           "lima_saving_prefix": "lima_"}},
    },
    "helpers": {
        "about": "timestamp (starttime, start_timestamp), beamtimeid (from __nxroot__.filename and the"
                 " beamtime metadata file beside it), datasignal.signalname over the NXdata links"
                 " (__root__ get_links, open)",
        "name": "start_time",
        "subs": {"shortname": "P09", "commissiondir": "/gpfs/commissioning", "currentdir": "$DIR",
                 "localdir": "$DIR", "currentprefix": "beamtime-metadata-", "currentpostfix": ".json",
                 "commissionprefix": "commission-metadata-", "commissionpostfix": ".json",
                 "nchannelstoskip": 0},
        "vars": {"detector": "", "firstchannel": "", "timers": "exp_t01", "mgchannels": "exp_t01 exp_c01 exp_c02"},
        "xml": entry(
            field("start_time", "NX_DATE_TIME", "INIT", "@{starttime.ds.xml}"),
            field("start_timestamp", "NX_FLOAT64", "FINAL", "@{start_timestamp.ds.xml}"),
            field("experiment_identifier", "NX_CHAR", "INIT", "@{beamtimeid.ds.xml}"),
            instrument('<group type="NXcollection" name="counters">%s%s%s</group>' % (
                field("exp_t01", "NX_FLOAT64", "STEP", client("exp_t01")),
                field("exp_c01", "NX_FLOAT64", "STEP", client("exp_c01")),
                field("exp_c02", "NX_FLOAT64", "STEP", client("exp_c02")))),
            nxdata('<attribute name="signal" type="NX_CHAR"><strategy mode="FINAL"/>@{signalname.ds.xml}</attribute>',
                   '<link name="exp_t01" target="/scan/instrument/counters/exp_t01"/>',
                   '<link name="exp_c01" target="/scan/instrument/counters/exp_c01"/>',
                   '<link name="exp_c02" target="/scan/instrument/counters/exp_c02"/>')),
        "files": [("beamtime-metadata-11012345.json", None, None, '{"beamtimeId": "11012345"}')],
        "global": {"data": {"client_start_time": "2026-12-03T10:20:30.123456+01:00",
                            "start_time": "2026-12-03T10:20:30.123456+01:00"}},
        "records": [{"data": {"exp_t01": 0.1, "exp_c01": 10.0 * i, "exp_c02": 2.5 + i}} for i in range(3)],
        "final": {"data": {}},
    },
    "externals": {
        "about": "dalsa, tangovimba and lambda2m (m1, m2, m3) external_data: external links to the detectors'"
                 " files, one of them not written (a dangling external link); eigerdectris_stepindex (STEP)",
        "name": "eiger",
        "xml": entry(instrument(
            detector("eiger", field("step_index", "NX_INT64", "STEP", "@{eigerdectris_stepindex.ds.xml}")),
            '<link name="dalsa_external">@{dalsa_external_data.ds.xml|name=dalsa}<strategy mode="FINAL"/></link>',
            '<link name="vimba_external">@{tangovimba_external_data.ds.xml|name=vimba}<strategy mode="FINAL"/></link>',
            '<link name="l2m_m1">@{lambda2m_m1_external_data.ds.xml|name=l2m}<strategy mode="FINAL"/></link>',
            '<link name="l2m_m2">@{lambda2m_m2_external_data.ds.xml|name=l2m}<strategy mode="FINAL"/></link>',
            '<link name="l2m_m3">@{lambda2m_m3_external_data.ds.xml|name=l2m}<strategy mode="FINAL"/></link>')),
        "files": [("scan_00012/dalsa/dl_000004.nxs", [1, 2, 2], "uint16", 0),
                  ("scan_00012/vimba/vb_000000.nxs", [2, 1, 3], "uint8", 1),
                  ("scan_00012/l2m/lm_00001_m1.nxs", [1, 2, 3], "int32", 10),
                  ("scan_00012/l2m/lm_00001_m2.nxs", [1, 2, 3], "int32", 20)],
        "records": [{"data": {"eiger_nbimages": 5}}, {"data": {"eiger_nbimages": 7}}],
        "final": {"data": {"dalsa_fileprefix": "dl", "dalsa_filepostfix": "nxs", "dalsa_filestartnum": 5,
                           "vimba_fileprefix": "vb_", "vimba_filepostfix": ".nxs", "vimba_filestartnum": 0,
                           "l2m_savefilename": "lm_00001", "l2m_saveallimages": True, "l2m_filepostfix": "nxs"}},
    },
    "secop": {
        "about": "secop sample helpers (the FINAL attributes nxscreate's secop components put on the sample):"
                 " create_env_links, create_helper_links, create_sample_nxdata over an NXenvironment/NXsensor"
                 " tree (__root__ names, attributes[...].read(), field read, create_group, link, get_links)",
        "subs": {"environments": "temperature", "meanings": "temperature", "samplename": "sample"},
        "xml": entry(
            '<group type="NXsample" name="sample">'
            '<attribute name="secop_env_links" type="NX_CHAR"><strategy mode="FINAL"/>@{sample_env_links.ds.xml}</attribute>'
            '<attribute name="secop_log_links" type="NX_CHAR"><strategy mode="FINAL"/>@{sample_log_links.ds.xml}</attribute>'
            '<attribute name="sample_nxdata" type="NX_CHAR"><strategy mode="FINAL"/>@{sample_nxdata.ds.xml}</attribute>'
            '<group type="NXenvironment" name="cryo">'
            '<field name="description" type="NX_CHAR">closed-cycle cryostat</field>'
            '<field name="name" type="NX_CHAR">cryo</field><field name="short_name" type="NX_CHAR">cr</field>'
            '<field name="type" type="NX_CHAR">cryostat</field>'
            '<group type="NXsensor" name="T"><field name="measurement" type="NX_CHAR">temperature'
            '<attribute name="secop_importance" type="NX_INT32">10</attribute></field>'
            '<group type="NXlog" name="value_log">%s</group></group>'
            '<group type="NXsensor" name="T2"><field name="measurement" type="NX_CHAR">temperature'
            '<attribute name="secop_importance" type="NX_INT32">5</attribute></field>'
            '<group type="NXlog" name="value_log">%s</group></group>'
            '</group></group>' % (field("value", "NX_FLOAT64", "STEP", client("cryo_t")),
                                  field("value", "NX_FLOAT64", "STEP", client("cryo_t2"))),
            nxdata('<link name="cryo_t" target="/scan/sample/cryo/T/value_log/value"/>',
                   '<link name="exp_c01" target="/scan/instrument/exp_c01"/>'),
            instrument(field("exp_c01", "NX_FLOAT64", "STEP", client("exp_c01")))),
        "records": [{"data": {"cryo_t": 10.5 + i, "cryo_t2": 11.0 + i, "exp_c01": 100.0 * i}} for i in range(3)],
        "final": {"data": {}},
    },
    "cobold": {
        "about": "the whole coboldhisto component: time_of_flight reads the shape of the STEP histogram"
                 " through the NXdata link (get_links, open, FTField.shape) into a field declared [1]",
        "subs": {"binsize": "cobold_binsize", "exposuretime": "cobold_exposuretime", "histogram": "cobold_hist"},
        "name": "cobold",
        "ds": {"cobold_timeofflight": "coboldhisto_timeofflight.ds.xml"},
        "xml": "<definition>@{coboldhisto.xml}</definition>",
        "records": [{"data": {"cobold_hist": [1.0 * i + k for k in range(5)]}} for i in range(3)],
        "final": {"data": {"cobold_binsize": 0.25, "cobold_exposuretime": 2.0}},
    },
    "split": {
        "about": "StepsPerFile 2 over 5 records: the helpers' split-file branches (currentfileid and"
                 " stepsperfile of __root__) in pilatus and limaccd postrun and lambda external_data (_part)",
        "name": "pilatus", "stepsperfile": 2,
        "xml": entry(instrument(
            detector("pilatus", collection(
                field("postrun", "NX_CHAR", "FINAL", "@{pilatus_postrun.ds.xml}"),
                field("file_start_index_num", "NX_CHAR", "STEP", "@{pilatus_filestartnum_cb.ds.xml}"))),
            detector("lima", collection(
                field("postrun", "NX_CHAR", "FINAL", "@{limaccd_postrun.ds.xml|name=lima}"),
                field("saving_next_number", "NX_INT64", "STEP", "@{limaccd_filestartnum_cb.ds.xml|name=lima}"))),
            '<link name="lmbd_m1">@{lambda_external_data.ds.xml|name=lmbd}<strategy mode="FINAL"/></link>')),
        "files": [("scan_00012/lmbd/m_00001_part%05d.nxs" % i, [2, 1, 2], "int32", 10 * i) for i in range(3)],
        "records": [{"data": {"pilatus_filestartnum": 3 + 2 * i, "pilatus_nbframes": 2,
                              "lima_saving_next_number": 5 + 4 * i, "lima_acq_nb_frames": 4}} for i in range(5)],
        "final": {"data": {"pilatus_filedir": "/data/p09/", "pilatus_filepostfix": ".cbf",
                           "pilatus_fileprefix": "pil_", "pilatus_filestartnum": 13, "pilatus_nbframes": 2,
                           "lima_saving_next_number": 25, "lima_saving_directory": "/gpfs/lima",
                           "lima_saving_suffix": ".edf", "lima_acq_nb_frames": 4, "lima_saving_format": "%05d",
                           "lima_saving_prefix": "lima_", "lmbd_savefilename": "m_00001", "lmbd_saveallimages": 1,
                           "lmbd_framesperfile": 2, "lmbd_framenumbers": 10, "lmbd_filepostfix": "nxs"}},
    },
    "postruns": {
        "about": "pco, perkinelmerdetector, mythen and marccd postrun (FINAL) with their STEP callbacks,"
                 " under StepsPerFile 2 over 3 records (their split-file branches)",
        "stepsperfile": 2,
        "xml": entry(instrument(
            detector("pco", field("postrun", "NX_CHAR", "FINAL", "@{pco_postrun.ds.xml|name=pco}"),
                     field("file_start_num", "NX_CHAR", "STEP", "@{pco_filestartnum_cb.ds.xml|name=pco}")),
            detector("pe", field("postrun", "NX_CHAR", "FINAL", "@{perkinelmerdetector_postrun.ds.xml|name=pe}"),
                     field("file_index", "NX_INT64", "STEP", "@{perkinelmerdetector_fileindex_cb.ds.xml|name=pe}")),
            detector("mythen", field("postrun", "NX_CHAR", "FINAL", "@{mythen_postrun.ds.xml|name=mythen}"),
                     field("file_start_number", "NX_INT64", "STEP", "@{mythen_filestartnumber.ds.xml|name=mythen}")),
            detector("marccd", field("postrun", "NX_CHAR", "FINAL", "@{marccd_postrun.ds.xml|name=marccd}")))),
        "records": [{"data": {"pco_filestartnum": 2 + i, "pco_nbframes": 1, "pe_fileindex": 4 + i,
                              "mythen_fileindex": 7 + i}} for i in range(3)],
        "final": {"data": {"pco_filestartnum": 5, "pco_filedir": "D:\\pco\\", "pco_nbframes": 1,
                           "pco_filepostfix": ".tif", "pco_fileprefix": "pco_", "pe_outputdirectory": "/data/pe",
                           "pe_filepattern": "img", "pe_filename": "img.tif", "pe_fileindex": 7,
                           "mythen_fileindex": 10, "mythen_filedir": "/data/mythen/", "mythen_fileprefix": "my",
                           "marccd_savingdirectory": "C:\\mar", "marccd_savingprefix": "mar",
                           "marccd_savingpostfix": "mccd"}},
    },
    "nxroot": {
        "about": "the reference's own test_nxrootlink scripts (spec T12) and more of __nxroot__ (h5py's File"
                 " in the reference): filename, name, SoftLink and ExternalLink assignment, attrs, create_group,"
                 " reading STEP data back in FINAL",
        "xml": entry(
            field("nxrootstr", "NX_CHAR", "INIT", '<datasource type="PYEVAL"><result name="res2">\n'
                  'ds.res2 = commonblock["__nxroot__"].filename</result></datasource>', ' units="m"'),
            field("nxrootpath", "NX_CHAR", "INIT", '<datasource type="PYEVAL"><result name="res2">'
                  'ds.res2 = (commonblock["__nxroot__"]).name</result></datasource>', ' units="m"'),
            field("nxrootlink", "NX_CHAR", "FINAL", '<datasource type="PYEVAL"><result name="res2">\n'
                  'import h5py\nroot = commonblock["__nxroot__"]\nen = root.get("entry1")\n'
                  'en["mylink"] = h5py.SoftLink("/entry1/nxrootpath")\nds.res2 = str(True)\n        </result>'
                  '</datasource>', ' units="m"'),
            field("x", "NX_FLOAT64", "STEP", client("x")),
            field("summary", "NX_CHAR", "FINAL", '<datasource type="PYEVAL"><result name="r">\n'
                  'import h5py\nroot = commonblock["__nxroot__"]\nen = root["entry1"]\n'
                  'en["detector"] = h5py.ExternalLink("scan_00012/det.nxs", "/entry/instrument/detector")\n'
                  'en.attrs["note"] = "written by a script"\ng = en.create_group("extra")\n'
                  'g.attrs["NX_class"] = "NXcollection"\nx = root["entry1/x"][()]\n'
                  'ds.r = "n=%d sum=%.2f first=%s" % (len(x), sum(x), "x" in en)</result></datasource>'), name="entry1"),
        "files": [("scan_00012/det.nxs", [2, 2], "float32", 5)],
        "records": [{"data": {"x": 1.5 * i}} for i in range(4)],
    },
    "canfail": {
        "about": "scripts that raise, with canfail on: INIT, one STEP of three, FINAL, and a string field",
        "canfail": True,
        "xml": entry(
            field("init", "NX_INT32", "INIT",
                  '<datasource type="PYEVAL"><result name="r">\nds.r = {}["missing"]</result></datasource>'),
            field("ratio", "NX_FLOAT64", "STEP",
                  '<datasource type="PYEVAL">%s<result name="r">\ny = ds.x - 2\nds.r = 10.0 / y</result></datasource>'
                  % client("x")),
            field("label", "NX_CHAR", "STEP",
                  '<datasource type="PYEVAL">%s<result name="r">\nif ds.x == 7:\n    raise ValueError("seven")\n'
                  'ds.r = "x=%%d" %% ds.x</result></datasource>' % client("x")),
            field("final", "NX_UINT16", "FINAL",
                  '<datasource type="PYEVAL"><result name="r">\nimport math\nds.r = math.sqrt(-1)</result></datasource>')),
        "records": [{"data": {"x": 4}}, {"data": {"x": 2}}, {"data": {"x": 7}}],
    },
    "descriptions": {
        "about": "the detectors' description templates (INIT; those calling common.blockitem_rm, which"
                 " nxstools lacks, and eigerdectris' with a syntax error fail: canfail) and limaccd's"
                 " pixel sizes (FINAL, common.get_element)",
        "canfail": True,
        "xml": entry(instrument(
            *[detector(n, field("description", "NX_CHAR", "INIT", "@{%s_description.ds.xml|name=%s}" % (t, n)))
              for t, n in [("pilatus100k", "p100k"), ("pilatus300k", "p300k"), ("pilatus1m", "p1m"),
                           ("pilatus2m", "p2m"), ("pilatus6m", "p6m"), ("pco", "pco"),
                           ("perkinelmerdetector", "pe"), ("lambdavds", "lmbd")]],
            detector("eiger", field("description", "NX_CHAR", "INIT", "@{eigerdectris_description_cb.ds.xml|name=eiger}")),
            detector("lima",
                     field("x_pixel_size", "NX_FLOAT64", "FINAL", "@{limaccd_xpixelsize.ds.xml|name=lima}", ' units="m"'),
                     field("y_pixel_size", "NX_FLOAT64", "FINAL", "@{limaccd_ypixelsize.ds.xml|name=lima}", ' units="m"')))),
        "global": {"data": {"eiger_description": "Dectris Eiger2 X 4M"}},
        "records": [{}],
        "final": {"data": {"lima_camera_pixelsize": [7.5e-05, 1.5e-05]}},
    },
    "nxdata": {
        "about": "the detectors' _nxdata templates: the NXdata links' targets from FINAL datasources"
                 " (dalsa, tangovimba, lambda, lambda2m m1/m2/m3, lambdavds, lambdavdsnm, dalsavds), one"
                 " target an empty string (its condition false), one never written (dangling)",
        "xml": entry(
            instrument(*[detector(n, field("data", "NX_INT32", "STEP", client("frame")))
                         for n in ["dalsa_external", "vimba_external", "lmbd_m1", "l2m_m1", "l2m_m2", "lvds", "dvds"]]),
            nxdata(*['<link name="%s">@{%s.ds.xml|name=%s}<strategy mode="FINAL"/></link>' % (ln, t, n)
                     for ln, t, n in [("dalsa", "dalsa_nxdata", "dalsa"), ("vimba", "tangovimba_nxdata", "vimba"),
                                      ("lmbd", "lambda_nxdata", "lmbd"), ("l2m_m1", "lambda2m_m1_nxdata", "l2m"),
                                      ("l2m_m2", "lambda2m_m2_nxdata", "l2m"), ("l2m_m3", "lambda2m_m3_nxdata", "l2m"),
                                      ("lvds", "lambdavds_nxdata", "lvds"), ("lvdsnm", "lambdavdsnm_nxdata", "lvdsnm"),
                                      ("dvds", "dalsavds_nxdata", "dvds")]])),
        "records": [{"data": {"frame": 3 * i}} for i in range(2)],
        "final": {"data": {"dalsa_fileprefix": "dl", "dalsa_filepostfix": "nxs", "vimba_fileprefix": "vb_",
                           "vimba_filepostfix": ".tif", "lmbd_saveallimages": 1, "l2m_saveallimages": True,
                           "lvds_saveallimages": 1, "lvdsnm_saveallimages": 1, "dvds_filesaving": True}},
    },
    "optics": {
        "about": "absorber foil and thickness (lists by slider bits, into NX_CHAR rank-1 fields as the"
                 " absorber component has them, INIT and STEP) and qbpm foil (the nearest position)",
        "subs": {"position": "att_position", "foillist": '["Cu", "Al", "Ag", "Mo"]',
                 "thicknesslist": "[0.5, 0.25, 0.1, 0.05]", "foilpos": "qbpm_foilpos",
                 "foilposdict": '{"Ti": 43, "Ni": 23, "out": 3}'},
        "xml": entry(
            instrument('<group type="NXattenuator" name="att">%s</group>' % "".join([
                field("type", "NX_CHAR", "INIT", '@{absorber_foil.ds.xml|name=att}<dimensions rank="1"/>'),
                field("thickness", "NX_CHAR", "INIT", '@{absorber_thickness.ds.xml|name=att}<dimensions rank="1"/>'),
                collection(
                    field("slidersin_position", "NX_FLOAT64", "INIT", client("att_position")),
                    field("foils", "NX_CHAR", "STEP", '@{absorber_foil.ds.xml|name=att}<dimensions rank="1"/>'),
                    field("thicknesses", "NX_FLOAT64", "STEP", '@{absorber_thickness.ds.xml|name=att}<dimensions rank="1"/>'))])),
            '<group type="NXmonitor" name="qbpm"><group type="NXcollection" name="attenuator">%s%s%s</group></group>' % (
                field("type", "NX_CHAR", "INIT", "@{qbpm_foil.ds.xml|name=qbpm}"),
                field("foilpos", "NX_FLOAT", "INIT", client("qbpm_foilpos")),
                field("foils", "NX_CHAR", "STEP", "@{qbpm_foil.ds.xml|name=qbpm}"))),
        "global": {"data": {"att_position": 5, "qbpm_foilpos": 22.5}},
        "records": [{"data": {"att_position": p, "qbpm_foilpos": q}} for p, q in [(0, 3.1), (6.4, 43), (15, 30)]],
    },
    "envs": {
        "about": "mssar_env and msnsar_env given the Sardana environment as a CLIENT record: a string"
                 " where they unpickle the MacroServer's bytes, so they fail (canfail; the reference"
                 " cannot pass bytes from a PYEVAL datasource either), sampleenv_nxdata linking the"
                 " sample environment's NXdata entries",
        "canfail": True,
        "subs": {"msenv": "ms_env", "sampleenvname": "env"},
        "xml": entry(
            '<group type="NXcollection" name="sardana">%s</group>' % "".join([
                field("scan_dir", "NX_CHAR", "INIT", "@{mssar_env.ds.xml|name=scandir,varname=ScanDir}"),
                field("scan_id", "NX_INT64", "FINAL", "@{mssar_env.ds.xml|name=scanid,varname=ScanID}"),
                field("show_dial", "NX_BOOLEAN", "INIT",
                      """@{msnsar_env.ds.xml|name=dial,varname=["_ViewOptions", "ShowDial"]}"""),
                field("pre_scan", "NX_CHAR", "INIT", """@{msnsar_env.ds.xml|name=pre,varname=["PreScanSnapshot"]}"""),
                ]),
            '<group type="NXenvironment" name="env">'
            '<attribute name="sampleenv_nxdata" type="NX_CHAR"><strategy mode="FINAL"/>@{sampleenv_nxdata.ds.xml}</attribute>'
            '%s%s</group>' % (field("temperature", "NX_FLOAT64", "STEP", client("env_t")),
                              field("pressure", "NX_FLOAT64", "STEP", client("env_p"))),
            nxdata('<link name="env_t" target="/scan/env/temperature"/>',
                   '<link name="env_p" target="/scan/env/pressure"/>',
                   '<link name="exp_c01" target="/scan/exp_c01"/>'),
            field("exp_c01", "NX_FLOAT64", "STEP", client("exp_c01"))),
        "global": {"data": {"ms_env": SARDANA_ENV}},
        "records": [{"data": {"env_t": 290.0 + i, "env_p": 1.0 + 0.5 * i, "exp_c01": 10.0 * i}} for i in range(3)],
        "final": {"data": {"ms_env": SARDANA_ENV}},
    },
    "secopcmds": {
        "about": "the secop templates against a SECoP stand-in (refcompare.py serve secop): groupsecop"
                 " and groupsecop_time (STEP, one request per step for the group through __counter__),"
                 " secop (INIT) and singlesecop (FINAL) whose [value, {qualifiers}] goes to a string"
                 " list, secop_time and singlesecop_time (FINAL: that list is what relative_timestamp"
                 " is given, and cannot subtract: canfail in both writers)",
        "canfail": True, "servers": ["secop"],
        "subs": {"host": "127.0.0.1", "port": "$SECOP_PORT", "timeout": "0.01"},
        "xml": entry('<group type="NXsample" name="sample"><group type="NXenvironment" name="cryo">%s</group>'
                     '<group type="NXenvironment" name="press">%s</group></group>' % (
                         field("target", "NX_CHAR", "INIT", '@{secop.ds.xml|name=cryo_target,message=read cryo:target}<dimensions rank="1"/>')
                         + '<group type="NXlog" name="value_log">%s%s</group>' % (
                             field("value", "NX_FLOAT64", "STEP", "@{groupsecop.ds.xml|name=cryo_value,"
                                   "message=read cryo:value,group=cryo_value,access=[0]}"),
                             field("time", "NX_FLOAT64", "STEP", "@{groupsecop_time.ds.xml|name=cryo_value,"
                                   "message=read cryo:value,group=cryo_value}"))
                         + field("ramp_time", "NX_FLOAT64", "FINAL", "@{secop_time.ds.xml|name=cryo_ramp,message=read cryo:ramp}"),
                         field("value", "NX_CHAR", "FINAL",
                               '@{singlesecop.ds.xml|name=press_value,message=read press:value}<dimensions rank="1"/>')
                         + field("target_time", "NX_FLOAT64", "FINAL",
                                 "@{singlesecop_time.ds.xml|name=press_target,message=read press:target}"))),
        "records": [{} for _ in range(3)],
        "final": {"data": {}},
    },
    "monochromators": {
        "about": "dcm and chcut crystal, dcm and chcut unitcalibration, dcm reflection and the tango"
                 " template (attributes read through tango.DeviceProxy in the script) against a PyTango"
                 " stand-in without a database (refcompare.py serve tango): unitcalibration and reflection"
                 " read device properties (BraggDevice, Version), so they fail there with"
                 " API_NonDatabaseDevice (canfail)",
        "canfail": True, "servers": ["tango"],
        "subs": {"dcmdevice": "tango://127.0.0.1:$TANGO_PORT/ref/dcm/1#dbase=no",
                 "chcutdevice": "tango://127.0.0.1:$TANGO_PORT/ref/chcut/1#dbase=no",
                 "device": "tango://127.0.0.1:$TANGO_PORT/ref/dcm/1#dbase=no", "attribute": "energy"},
        "xml": entry(instrument(
            '<group type="NXmonochromator" name="dcm">%s%s</group>' % (
                # its length given: without it the reference reads the datasource at OpenEntry for the
                # shape, and an exception there fails OpenEntry, canfail or not
                '<group type="NXcrystal" name="crystal1">%s</group>' % field(
                    "reflection", "NX_INT", "INIT", '@{dcm_reflection.ds.xml|name=dcm}'
                    '<dimensions rank="1"><dim index="1" value="3"/></dimensions>'),
                collection(field("unit_calibration", "NX_FLOAT64", "INIT", "@{dcm_unitcalibration.ds.xml|name=dcm}",
                                 ' units="deg/mm"'),
                           field("crystal", "NX_INT64", "INIT", "@{dcm_crystal.ds.xml|name=dcm}"),
                           field("energy", "NX_FLOAT64", "STEP", "@{tango.ds.xml|name=dcm_energy}", ' units="eV"'))),
            '<group type="NXmonochromator" name="chcut">%s</group>' % collection(
                field("unit_calibration", "NX_FLOAT64", "INIT", "@{chcut_unitcalibration.ds.xml|name=chcut}",
                      ' units="deg/mm"'),
                field("crystal", "NX_INT64", "INIT", "@{chcut_crystal.ds.xml|name=chcut}")))),
        "records": [{} for _ in range(2)],
    },
    "defaults": {
        "about": "defaultsignal (the Sardana environment a string it passes over: the measurement group's"
                 " first counter; @default on the way) and defaultaxes (the scan's motor) on NXdata,"
                 " nexdatas_version (nxswriter.__version__),"
                 " beamtime_filename (empty) and beamtimefname (the metadata file's name),"
                 " common2_common and common3_common",
        "name": "beamtime_fname",
        "subs": {"msenv": "ms_env", "sardanasignal": "SignalCounter", "nchannelstoskip": 0, "defaultattrs": "False",
                 "shortname": "P09", "commissiondir": "/gpfs/commissioning", "currentdir": "$DIR",
                 "localdir": "$DIR", "currentprefix": "beamtime-metadata-", "currentpostfix": ".json",
                 "commissionprefix": "commission-metadata-", "commissionpostfix": ".json"},
        "vars": {"detector": "", "firstchannel": "", "timers": "exp_t01", "mgchannels": "exp_t01 exp_c01 exp_c02",
                 "nexus_step_datasources": "exp_mot01 exp_t01 exp_c01 exp_c02",
                 "scan_title": "ascan exp_mot01 0.0 1.0 2 0.1"},
        "xml": entry(
            '<field name="experiment_identifier" type="NX_CHAR">11012345%s%s</field>' % (
                '<attribute name="beamtime_filename" type="NX_CHAR"><strategy mode="INIT"/>'
                '@{beamtimefname.ds.xml}</attribute>',
                '<attribute name="default_filename" type="NX_CHAR"><strategy mode="INIT"/>'
                '@{beamtime_filename.ds.xml}</attribute>'),
            '<field name="program_name" type="NX_CHAR">NexDaTaS<attribute name="version" type="NX_CHAR">'
            '<strategy mode="INIT"/>@{nexdatas_version.ds.xml}</attribute></field>',
            instrument('<group type="NXcollection" name="counters">%s</group>' % "".join(
                field(n, "NX_FLOAT64", "STEP", client(n)) for n in ["exp_mot01", "exp_t01", "exp_c01", "exp_c02"]),
                collection(
                    field("c2", "NX_FLOAT64", "STEP", "@{common2_common.ds.xml|name=c2,dds=exp_c01,ods=exp_t01}"),
                    field("c3", "NX_FLOAT64", "STEP",
                          "@{common3_common.ds.xml|name=c3,dds=exp_c02,ods1=exp_t01,ods2=exp_mot01}"))),
            nxdata('<attribute name="signal" type="NX_CHAR"><strategy mode="FINAL"/>@{defaultsignal.ds.xml}</attribute>',
                   '<attribute name="axes" type="NX_CHAR"><strategy mode="FINAL"/>@{defaultaxes.ds.xml}'
                   '<dimensions rank="1"><dim value="0" index="1"/></dimensions></attribute>',
                   *['<link name="%s" target="/scan/instrument/counters/%s"/>' % (n, n)
                     for n in ["exp_mot01", "exp_t01", "exp_c01", "exp_c02"]])),
        "files": [("beamtime-metadata-11012345.json", None, None, '{"beamtimeId": "11012345"}')],
        "global": {"data": {"start_time": "2026-12-03T10:20:30.123456+01:00"}},
        "records": [{"data": {"exp_mot01": 0.5 * i, "exp_t01": 0.1, "exp_c01": 10.0 * i, "exp_c02": 2.5 + i}}
                    for i in range(3)],
        "final": {"data": {"ms_env": SARDANA_ENV}},
    },
}


def build_xml(case, out, directory):
    xml = re.sub(r"@\{([^}]+)\}", lambda m: template(m.group(1), case, out), case["xml"]).replace("$DIR", directory)
    for kind in case.get("servers", []):
        port = os.environ.get(STANDINS[kind])
        if not port:
            sys.exit("refcompare: this case talks to the %s stand-in: start `refcompare.py serve %s` and give"
                     " its port in %s" % (kind, kind, STANDINS[kind]))
        xml = xml.replace("$%s_PORT" % kind.upper(), port)
    return xml


# ---------------------------------------------------------------------------------------------
# a SECoP node stand-in for the secop templates: "*IDN?" is answered with its identification,
# "read module:parameter" with "reply module:parameter [value, {"t": time}]", value and time
# advancing by one step per read of that parameter (so the listing shows how often each writer
# asked), from a fixed start

SECOP_PARAMETERS = {  # parameter: (first value, value step, first time, time step)
    "cryo:value": (10.0, 1.0, 1000.0, 2.5),
    "cryo:target": (20.0, 0.0, 1001.0, 1.0),
    "cryo:ramp": (0.5, 0.25, 1004.5, 1.0),
    "press:value": (1013.25, 0.0, 1010.0, 1.0),
    "press:target": (1000.0, 0.0, 1012.75, 1.0),
}


SECOP_IDN = "ISSE,SECoP,V2019-09-16,refcompare-stand-in"
TANGO_DEVICES = ["ref/dcm/1", "ref/chcut/1"]
# the stand-ins a case may need ("servers"): the variable its port is given in
STANDINS = {"secop": "NXSW_SECOP_PORT", "tango": "NXSW_TANGO_PORT"}


class StandIn(object):
    """`refcompare.py serve KIND` in a child process: its port, until stop()"""

    def __init__(self, kind):
        self.kind = kind
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", kind],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = self.proc.stdout.readline().strip()
        if not self.port.isdigit():
            self.stop()
            sys.exit("refcompare: the %s stand-in did not start" % kind)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def tango_server():
    """a PyTango device server without a database (the stand-in of a DCM and a channel-cut
    monochromator: their crystal and unitcalibration attributes) on a free local port; prints the
    port when the devices are up, serves until stdin closes"""
    import socket
    import threading
    from tango.server import Device, attribute, run

    class RefMono(Device):
        @attribute(dtype=int)
        def crystal(self):
            return 1 if "dcm" in self.get_name() else 2

        @attribute(dtype=float)
        def unitcalibration(self):
            return 0.25 if "dcm" in self.get_name() else 0.5

        @attribute(dtype=float, unit="eV")
        def energy(self):
            return 8979.5

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def ready():
        print(port, flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

    run((RefMono,), args=["refcompare", "stand-in", "-nodb", "-port", str(port), "-ORBendPointPublish",
                          "giop:tcp:127.0.0.1:%d" % port, "-dlist", ",".join(TANGO_DEVICES)],
        post_init_callback=ready)


def secop_server():
    """a SECoP stand-in on a free local port, in a thread; returns the server (server_address[1]: the port)"""
    import socketserver
    import threading
    reads = {}
    lock = threading.Lock()

    class Node(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                words = line.decode().split()
                spec = words[1] if len(words) == 2 and words[0] == "read" else None
                if words == ["*IDN?"]:
                    reply = SECOP_IDN
                elif spec in SECOP_PARAMETERS:
                    with lock:
                        n = reads[spec] = reads.get(spec, -1) + 1
                    v0, dv, t0, dt = SECOP_PARAMETERS[spec]
                    reply = "reply %s %s" % (spec, json.dumps([v0 + n * dv, {"t": t0 + n * dt}]))
                else:
                    reply = "error_read %s %s" % (spec or "", json.dumps(["NoSuchParameter", line.decode().strip(), {}]))
                self.wfile.write((reply + "\n").encode())
                self.wfile.flush()

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def prepare(name, directory):
    """writes the inputs of a case into directory; returns how to run it"""
    import h5py
    import numpy
    case = CASES[name]
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    out = os.path.join(directory, OUT)
    for rel, shape, dtype, content in case.get("files", []):
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if shape is None:
            with open(path, "w") as f:
                f.write(content)
            continue
        data = (numpy.arange(int(numpy.prod(shape))) + content).astype(dtype).reshape(shape)
        with h5py.File(path, "w") as f:
            f.create_dataset("entry/instrument/detector/data", data=data)
    run = {"case": name, "dir": directory, "output": out, "canfail": bool(case.get("canfail")),
           "stepsperfile": int(case.get("stepsperfile", 0)),
           "vds": bool(case.get("vds")), "config": os.path.join(directory, "config.xml"),
           "global": os.path.join(directory, "global.json"), "records": os.path.join(directory, "records.jsonl")}
    with open(run["config"], "w") as f:
        f.write(build_xml(case, out, directory))
    with open(run["global"], "w") as f:
        json.dump(case.get("global", {}), f)
    with open(run["records"], "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in case.get("records", [])))
    if "final" in case:
        run["final"] = os.path.join(directory, "final.json")
        with open(run["final"], "w") as f:
            json.dump(case["final"], f)
    return run


# ---------------------------------------------------------------------------------------------
# the writers

def run_reference(run):
    """drives nxswriter.TangoDataWriter in a child process, as the Tango server would"""
    ref = os.environ.get("NXSW_REFERENCE_WRITER")
    if not ref or not os.path.isdir(os.path.join(ref, "nxswriter")):
        sys.exit("refcompare: set NXSW_REFERENCE_WRITER to a checkout of nexdatas/nxsdatawriter (the directory "
                 "holding nxswriter/), e.g. git --git-dir=/work/.mirror/nexdatas+nxsdatawriter/repo archive HEAD "
                 "| tar -x -C /tmp/nxsdatawriter")
    env = dict(os.environ, PYTHONPATH=":".join([ref, nxstools_dir(), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "_reference", json.dumps(run)],
                       cwd=run["dir"], env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("refcompare: the reference writer failed on %s:\n%s%s" % (run["case"], r.stdout, r.stderr))


def _reference(run):
    from nxswriter.TangoDataWriter import TangoDataWriter
    w = TangoDataWriter()
    # nxstools' h5py back end: its h5cpp one (the reference's first choice) needs python3-h5cpp,
    # which is not installed here; the helpers take the h5py branch with it, as they do in nxsw
    w.writer = "h5py"
    w.fileName = run["output"]
    w.canfail = run["canfail"]
    w.stepsperfile = run["stepsperfile"]
    w.openFile()
    with open(run["config"]) as f:
        w.xmlsettings = f.read()
    with open(run["global"]) as f:
        w.jsonrecord = f.read()
    w.openEntry()
    with open(run["records"]) as f:
        for line in f:
            w.record(line.strip())
    if "final" in run:
        with open(run["final"]) as f:
            w.jsonrecord = f.read()
    w.closeEntry()
    w.closeFile()


def run_nxsw(run):
    cmd = [os.environ.get("NODE", "node"), "--no-node-snapshot", os.path.join(REPO, "core/dist/src/cli/main.js"),
           "write", run["config"], "--output", run["output"], "--global", run["global"], "--records", run["records"]]
    if "final" in run:
        cmd += ["--final", run["final"]]
    if run["canfail"]:
        cmd.append("--can-fail")
    if run["stepsperfile"]:
        cmd += ["--steps-per-file", str(run["stepsperfile"])]
    env = dict(os.environ, NXSW_PYTHON=os.environ.get("NXSW_PYTHON", sys.executable),
               PYTHONPATH=":".join([nxstools_dir(), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run(cmd, cwd=run["dir"], env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("refcompare: nxsw write failed on %s:\n%s%s" % (run["case"], r.stdout, r.stderr))


# ---------------------------------------------------------------------------------------------
# the normalised listing
# One line per object, attribute and virtual-dataset mapping, sorted by path. What is left out or
# rewritten, and why (these differ between any two runs or between the two writers by design):
#   - the run's directory in any string or link → $DIR (each writer writes in its own directory);
#   - root @file_time, @file_update_time: timestamps; @HDF5_Version: the library build;
#   - root @creator, @creator_version: nxsw names itself (docs/engine.md, deliberate difference);
#   - @default on the root and on NXentry groups: nxsw sets the NeXus default-plot chain (same);
#   - @target: nxsw marks link targets with their own path (same);
#   - /nexus_logs/configuration/python_version vs nodejs_version + nxsw_version: the runtime (same);
#   - @version of a field program_name: nexdatas_version's nxswriter.__version__, the writer's
#     version (same) → "<the writer's version>";
#   - @nexdatas_source and nexus__entry__N_xml: the XML canonicalised (attribute order, empty
#     elements, whitespace between elements and around text: each writer re-serialises the XML;
#     a stand-in's port, NXSW_SECOP_PORT or NXSW_TANGO_PORT, → $SECOP_PORT or $TANGO_PORT: each
#     run has its own),
#     then shown as a digest (the golden listings carry no nxstools template text: it is GPL);
#   - @nexdatas_canfail_error: reduced to the Python exception's message and the script's line (the
#     wrapping text around it is each writer's own, docs/engine.md's differences table: a script
#     that raises, and one that does not compile, where the reference's message ends in
#     "(<string>, line N)" and nxsw's in its configuration location);
#   - chunk shapes and filters other than those the XML asks for (docs/engine.md: chunking).
IGNORED_ROOT_ATTRS = {"file_time", "file_update_time", "HDF5_Version", "creator", "creator_version"}
IGNORED_LOGS = {"python_version", "nodejs_version", "nxsw_version"}
MAX_VALUES = 64


def canon_xml(text):
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return " ".join(text.split())
    for el in root.iter():
        el.text = (el.text or "").strip() or None
        el.tail = None
        if el.text and el.tag == "result":
            # a script's own lines keep their indentation; only blank ends differ
            el.text = "\n".join(line.rstrip() for line in el.text.split("\n"))
        el.attrib = dict(sorted(el.attrib.items()))
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def xml_digest(text, directory):
    """the canonical XML as a digest: the listings hold no template text (nxstools is GPL)"""
    canon = canon_xml(text.decode() if isinstance(text, bytes) else str(text))
    if directory:
        canon = canon.replace(directory, "$DIR")
    for kind, var in STANDINS.items():  # a stand-in's port: each run has its own
        if os.environ.get(var):
            canon = re.sub(r"(?<!\d)%s(?!\d)" % re.escape(os.environ[var]), "$%s_PORT" % kind.upper(), canon)
    return "xml sha256:%s (%d chars)" % (hashlib.sha256(canon.encode()).hexdigest()[:16], len(canon))


def canon_error(text):
    """(what was not found, the Python message, the script line): the parts both writers give"""
    try:
        what, detail = ast.literal_eval(text)
    except Exception:
        return "(not a (message, detail) pair) " + " ".join(text.split())
    what = what.split(" DATASOURCE:")[0]
    m = re.search(r" (?:failed|does not compile): (?:[A-Za-z_][\w.]*: )?(.*) \(script line (\d+)\)"
                  r"(?: \(line \d+, column \d+, at [^()]*\))?$", detail, re.S)
    if m:  # nxsw: "... failed: Type: message (script line N)", a syntax error "... does not compile: ..."
        msg, line = m.group(1), m.group(2)
    else:  # the reference: "message\n<traceback ending in the script's frame>"
        msg = detail.split("\n   File ")[0].strip()
        lines = re.findall(r'File "<string>", line (\d+)', detail)
        line = lines[-1] if lines else "?"
        s = re.search(r" \(<string>, line (\d+)\)$", msg)
        if s:  # a syntax error: compile() names no frame, the message ends with the line
            msg, line = msg[:s.start()], s.group(1)
    return "%s | %s | script line %s" % (what, msg, line)


def dtype_name(dt):
    import h5py
    s = h5py.check_string_dtype(dt)
    if s is not None:
        return "string(%s,%s)" % ("vlen" if s.length is None else "fixed", s.encoding)
    if dt.kind == "b" or h5py.check_enum_dtype(dt) is not None and dt.kind in "iub" and \
            set(h5py.check_enum_dtype(dt).keys()) == {"FALSE", "TRUE"}:
        return "bool"
    return dt.newbyteorder("<").str if dt.byteorder in "<>=" else dt.str


def jsonable(v, directory):
    import numpy
    if isinstance(v, numpy.ndarray):
        return [jsonable(x, directory) for x in v.tolist()] if v.shape else jsonable(v[()], directory)
    if isinstance(v, (list, tuple)):
        return [jsonable(x, directory) for x in v]
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, numpy.generic):
        v = v.item()
    if isinstance(v, str):
        return v.replace(directory, "$DIR") if directory else v
    if isinstance(v, float) and v != v:
        return "NaN"
    return v


def value_text(v, directory):
    import numpy
    arr = numpy.asarray(v) if not isinstance(v, (bytes, str)) else None
    if arr is not None and arr.dtype.kind in "iufb" and arr.size > MAX_VALUES:
        return "size=%d sum=%r min=%r max=%r" % (arr.size, arr.sum().item(), arr.min().item(), arr.max().item())
    return json.dumps(jsonable(v, directory), sort_keys=True)


def sel_text(space):
    import h5py
    t = space.get_select_type()
    if t == h5py.h5s.SEL_ALL:
        return "all"
    if t == h5py.h5s.SEL_HYPERSLABS:
        try:
            if space.is_regular_hyperslab():
                unl = h5py.h5s.UNLIMITED
                f = lambda xs: [("U" if x == unl else int(x)) for x in xs]  # noqa: E731
                start, stride, count, block = space.get_regular_hyperslab()
                return "start=%s stride=%s count=%s block=%s" % (f(start), f(stride), f(count), f(block))
        except Exception:
            pass
        return "bounds=%s" % (space.get_select_bounds(),)
    return "type=%d" % t


def attr_lines(path, obj, directory, lines):
    for name in sorted(obj.attrs.keys()):
        if path == "/" and name in IGNORED_ROOT_ATTRS or name == "target":
            continue
        if name == "default" and (path == "/" or obj.attrs.get("NX_class") in ("NXentry", b"NXentry")):
            continue
        try:
            v = obj.attrs[name]
            dt = obj.attrs.get_id(name).dtype
        except Exception as e:  # an attribute h5py cannot read is a finding, not a crash
            lines.append("%s@%s  unreadable: %s" % (path, name, e))
            continue
        if name == "nexdatas_source":
            v = xml_digest(v, directory)
        elif name == "version" and path.endswith("/program_name"):
            v = "<the writer's version>"
        elif name == "nexdatas_canfail_error":
            v = canon_error(v.decode() if isinstance(v, bytes) else str(v))
        shape = getattr(v, "shape", ())
        lines.append("%s@%s  %s%s = %s" % (path, name, dtype_name(dt), list(shape) if shape else "",
                                            value_text(v, directory)))


def dataset_lines(path, d, directory, lines):
    desc = "dataset %s shape=%s maxshape=%s" % (dtype_name(d.dtype), list(d.shape),
                                                 [("U" if m is None else m) for m in d.maxshape] if d.maxshape else None)
    if d.is_virtual:
        desc = "virtual " + desc + " fill=%s" % value_text(d.fillvalue, directory)
    lines.append("%s  %s" % (path, desc))
    if d.is_virtual:
        for m in d.virtual_sources():
            src = m.file_name.replace(directory, "$DIR")
            lines.append("%s  <- %s:%s %s src(%s) [%s]" % (
                path, src, m.dset_name, list(m.src_space.shape), sel_text(m.src_space), sel_text(m.vspace)))
    try:
        v = d[()]
    except Exception as e:
        lines.append("%s  = unreadable: %s" % (path, str(e).split("\n")[0]))
    else:
        if path.startswith("/nexus_logs/") and "_xml" in path:
            v = xml_digest(v, directory)
        lines.append("%s  = %s" % (path, value_text(v, directory)))
    attr_lines(path, d, directory, lines)


def dump(fname, directory=None):
    import h5py
    directory = os.path.abspath(directory) if directory else None
    lines = []
    seen = {}

    def walk(g, path):
        for name in sorted(g.keys()):
            p = (path.rstrip("/") + "/" + name)
            if p.startswith("/nexus_logs/configuration/") and name in IGNORED_LOGS:
                continue
            link = g.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                target = g.get(name)
                lines.append("%s  soft -> %s (%s)" % (p, link.path, kind(target)))
                continue
            if isinstance(link, h5py.ExternalLink):
                try:
                    target = g.get(name)
                except Exception:
                    target = None
                fn = link.filename.replace(directory, "$DIR") if directory else link.filename
                lines.append("%s  external -> %s:%s (%s)" % (p, fn, link.path, kind(target)))
                if isinstance(target, h5py.Dataset) or isinstance(target, h5py.Group):
                    sub = []
                    if isinstance(target, h5py.Group):
                        for k in sorted(target.keys()):
                            o = target.get(k)
                            if isinstance(o, h5py.Dataset):
                                sub.append("%s/%s  %s %s = %s" % (p, k, dtype_name(o.dtype), list(o.shape),
                                                                  value_text(o[()], directory)))
                    lines.extend(sub)
                continue
            obj = g.get(name)
            try:
                addr = h5py.h5o.get_info(obj.id).addr
            except Exception:
                addr = None
            if addr is not None and addr in seen:
                lines.append("%s  hard link of %s" % (p, seen[addr]))
                continue
            if addr is not None:
                seen[addr] = p
            if isinstance(obj, h5py.Group):
                lines.append("%s  group" % p)
                attr_lines(p, obj, directory, lines)
                walk(obj, p)
            elif isinstance(obj, h5py.Dataset):
                dataset_lines(p, obj, directory, lines)
            else:
                lines.append("%s  %s" % (p, type(obj).__name__))

    def kind(o):
        return "dangling" if o is None else ("group" if isinstance(o, h5py.Group) else "dataset")

    if directory:
        os.chdir(directory)  # relative external links and VDS sources resolve as a reader beside the file
    with h5py.File(fname, "r") as f:
        lines.append("/  file")
        attr_lines("/", f, directory, lines)
        walk(f, "/")
    return lines


# ---------------------------------------------------------------------------------------------

def written(directory):
    """the files a run wrote: the .nxs files beside the output (the detector files are below it);
    one with StepsPerFile, several (scan_00012_00001.nxs, ...) with it"""
    return sorted(f for f in os.listdir(directory) if f.endswith(".nxs") and os.path.isfile(os.path.join(directory, f)))


def listing(directory):
    files = written(directory)
    if len(files) == 1:
        return dump(os.path.join(directory, files[0]), directory)
    lines = []
    for f in files:
        lines.append("== %s" % f)
        lines.extend(dump(os.path.join(directory, f), directory))
    return lines


def listing_of(name, which, base):
    d = os.path.join(base, which)
    # fresh stand-ins per writer (the SECoP one counts reads from 0)
    servers = [StandIn(kind) for kind in CASES[name].get("servers", [])]
    try:
        for server in servers:
            os.environ[STANDINS[server.kind]] = server.port
        run = prepare(name, d)
        (run_reference if which == "reference" else run_nxsw)(run)
    finally:
        for server in servers:
            server.stop()
    return listing(d)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, args = argv[0], argv[1:]
    if cmd == "cases":
        for n, c in CASES.items():
            print("%-12s %s" % (n, c["about"]))
        return 0
    if cmd == "servers":
        for n, c in CASES.items():
            if c.get("servers"):
                print(" ".join([n] + c["servers"]))
        return 0
    if cmd == "serve" and args == ["tango"]:
        tango_server()
        return 0
    if cmd == "serve" and args == ["secop"]:  # the port on stdout, then serves until stdin closes
        server = secop_server()
        print(server.server_address[1], flush=True)
        sys.stdin.read()
        server.shutdown()
        return 0
    if cmd == "prepare":
        print(json.dumps(prepare(args[0], args[1])))
        return 0
    if cmd == "dump":
        print("\n".join(dump(args[0], args[1] if len(args) > 1 else os.path.dirname(os.path.abspath(args[0])))))
        return 0
    if cmd == "listing":
        print("\n".join(listing(os.path.abspath(args[0]))))
        return 0
    if cmd == "_reference":
        _reference(json.loads(args[0]))
        return 0
    names = args or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit("refcompare: unknown case(s) %s; the cases: %s" % (", ".join(unknown), ", ".join(CASES)))
    if cmd == "golden":
        os.makedirs(GOLDEN, exist_ok=True)
        for n in names:
            with tempfile.TemporaryDirectory(prefix="refcompare-") as base:
                lines = listing_of(n, "reference", base)
            with open(os.path.join(GOLDEN, n + ".txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            print("wrote golden/%s.txt (%d lines)" % (n, len(lines)))
        return 0
    if cmd == "compare":
        import difflib
        differ = 0
        for n in names:
            with tempfile.TemporaryDirectory(prefix="refcompare-") as base:
                ref = listing_of(n, "reference", base)
                ours = listing_of(n, "nxsw", base)
            diff = list(difflib.unified_diff(ref, ours, "reference/" + n, "nxsw/" + n, lineterm="", n=1))
            print("%-12s %s" % (n, "same (%d lines)" % len(ref) if not diff else "DIFFERENT"))
            if diff:
                differ += 1
                print("\n".join(diff))
        return 1 if differ else 0
    sys.exit("refcompare: unknown command %r (cases, prepare, dump, compare, golden)" % cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
