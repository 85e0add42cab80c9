#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) nxsw authors
"""The PyTango client of bench/vs-reference/run.mjs: one scan written by two NXSDataWriter
devices (nxsw and the reference), and the check that their files hold the same data.

  client.py scan SCENARIO DIR RECORDS WARMUP SHORT_SCANS FIRST NAME=URL NAME=URL
      writes DIR/NAME.nxs (WARMUP + RECORDS Records) through each device, then SHORT_SCANS scans
      of 10 Records (more OpenEntry/CloseEntry samples), the calls of the two devices alternating
      (FIRST goes first, then the order swaps every call), and prints the timings as JSON
  client.py compare FILE_A FILE_B
      compares every dataset of the scan entry (values, dtype, shape; NXdata links resolved) and
      prints {"datasets": n, "points": [point_nb of each], "differences": [...]}; exit 1 on a difference

Scenarios (both a Sardana-like step scan, the JSON as Sardana's NXS recorder sends it):
  client   10 counters, a motor, point_nb and timestamp as CLIENT fields, INIT title/start_time,
           FINAL end_time, an NXdata group linking the counters and the motor
  pyeval   the same with 10 more STEP fields, each a PYEVAL script over two CLIENT inputs
Run with Debian's /usr/bin/python3 (PyTango, h5py, numpy).
"""
import json
import sys
import time

ENTRY = "scan_1"
COUNTERS = ["exp_c%02d" % k for k in range(1, 11)]
MOTOR = "exp_mot01"
SHORT = 10


def client_ds(record):
    return '<datasource type="CLIENT" name="%s"><record name="%s"/></datasource>' % (record, record)


def field(name, nxtype, mode, body, units=None):
    u = ' units="%s"' % units if units else ""
    return '<field name="%s" type="%s"%s><strategy mode="%s"/>%s</field>' % (name, nxtype, u, mode, body)


def pyeval(k):
    # two CLIENT inputs and a little arithmetic, as a beamline's calculated channel does
    return ('<datasource type="PYEVAL">%s%s<result name="result">\nimport math\n'
            'ds.result = ds.%s * 0.5 + math.sqrt(abs(ds.%s)) + %d</result></datasource>'
            % (client_ds(COUNTERS[k]), client_ds(MOTOR), COUNTERS[k], MOTOR, k))


def xml(scenario):
    collection = [field(c, "NX_FLOAT", "STEP", client_ds(c), "counts") for c in COUNTERS]
    collection += [field("point_nb", "NX_INT64", "STEP", client_ds("point_nb")),
                   field("timestamp", "NX_FLOAT64", "STEP", client_ds("timestamp"), "s")]
    calc = ""
    if scenario == "pyeval":
        calc = '<group type="NXcollection" name="calc">%s</group>' % "".join(
            field("calc_%02d" % (k + 1), "NX_FLOAT", "STEP", pyeval(k)) for k in range(10))
    links = ['<link name="%s" target="/%s/instrument/collection/%s"/>' % (c, ENTRY, c) for c in COUNTERS]
    links.append('<link name="%s" target="/%s/instrument/%s/value"/>' % (MOTOR, ENTRY, MOTOR))
    return ('<definition><group type="NXentry" name="%s">' % ENTRY
            + field("title", "NX_CHAR", "INIT", client_ds("title"))
            + field("start_time", "NX_DATE_TIME", "INIT", client_ds("start_time"))
            + field("end_time", "NX_DATE_TIME", "FINAL", client_ds("end_time"))
            + '<group type="NXinstrument" name="instrument">'
            + '<group type="NXcollection" name="collection">%s</group>' % "".join(collection)
            + '<group type="NXpositioner" name="%s">%s</group>' % (MOTOR, field("value", "NX_FLOAT", "STEP", client_ds(MOTOR), "mm"))
            + calc + '</group>'
            + '<group type="NXdata" name="data">%s</group>' % "".join(links)
            + '</group></definition>')


def record(i):
    # deterministic values (both files must hold the same data), not round numbers
    data = {c: ((i * 7919 + k * 104729) % 100003) / 7.0 for k, c in enumerate(COUNTERS)}
    data[MOTOR] = i * 0.01 - 5.0
    data["point_nb"] = i
    data["timestamp"] = i * 0.1037
    return json.dumps({"data": data})


def scan(scenario, out_dir, n, warmup, short_scans, first, devices):
    import tango
    names = [d.split("=", 1)[0] for d in devices]
    if first not in names:
        sys.exit("client.py: FIRST must be one of %s" % names)
    if names[0] != first:
        devices = devices[::-1]
        names = names[::-1]
    proxies = [tango.DeviceProxy(d.split("=", 1)[1]) for d in devices]
    for p in proxies:
        p.set_timeout_millis(120000)
    labels = ["record_ms", "open_file_ms", "open_entry_ms", "close_entry_ms", "close_file_ms"]
    t = {name: dict({label: [] for label in labels}, errors=[], file="%s/%s.nxs" % (out_dir, name)) for name in names}
    config = xml(scenario)

    def glob(points):
        return json.dumps({"data": {"title": "ascan %s -5.0 %.2f %d 0.1" % (MOTOR, points * 0.01 - 5, points),
                                    "start_time": "2026-12-03T12:00:00.000000+0100", "serialno": 1},
                           # Sardana's recorder announces the scan's length (nxsw sizes chunks by it)
                           "vars": {"npoints": points}})
    final = json.dumps({"data": {"end_time": "2026-12-03T12:05:00.000000+0100"}})

    def each(label, call, step=0):
        # alternate which device goes first, so neither always runs right after the other
        order = range(len(proxies)) if step % 2 == 0 else reversed(range(len(proxies)))
        for k in order:
            t0 = time.perf_counter()
            call(proxies[k], names[k])
            if label:
                t[names[k]][label].append((time.perf_counter() - t0) * 1000)

    # the scan (entry 0), then short scans of SHORT Records: more samples of OpenEntry and
    # CloseEntry, single calls that the load on a shared machine makes noisy
    for e in range(1 + short_scans):
        def open_file(p, name):
            p.FileName = t[name]["file"] if e == 0 else "%s/%s-short%d.nxs" % (out_dir, name, e)
            p.OpenFile()

        def settings(p, name):
            p.XMLSettings = config
            p.JSONRecord = glob(n + warmup if e == 0 else SHORT)

        each("open_file_ms", open_file, e)
        each(None, settings, e)
        each("open_entry_ms", lambda p, name: p.OpenEntry(), e)
        if e == 0:
            for i in range(warmup):
                each(None, lambda p, name: p.Record(record(i)), i)
            recs = [record(warmup + i) for i in range(n)]
            for i in range(n):
                each("record_ms", lambda p, name: p.Record(recs[i]), i)
        else:
            for i in range(SHORT):
                each(None, lambda p, name: p.Record(record(i)), i)
        each(None, lambda p, name: setattr(p, "JSONRecord", final), e)
        each("close_entry_ms", lambda p, name: p.CloseEntry(), e)
        each("close_file_ms", lambda p, name: p.CloseFile(), e)
        for name, p in zip(names, proxies):
            t[name]["errors"] += list(p.Errors or [])
    print(json.dumps(t))


def walk(f):
    """{path: dataset} of every dataset under the entry, NXdata links resolved to their targets;
    and {path: link target} of the soft links"""
    import h5py
    datasets, links = {}, {}

    def visit(group, path):
        for key in group:
            p = "%s/%s" % (path, key)
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.SoftLink):
                links[p] = link.path
            obj = group.get(key)
            if isinstance(obj, h5py.Group):
                visit(obj, p)
            elif isinstance(obj, h5py.Dataset):
                datasets[p] = obj
            else:
                links[p] = "dangling: %s" % getattr(link, "path", link)
    visit(f[ENTRY], "/" + ENTRY)
    return datasets, links


def value(ds):
    import h5py
    import numpy
    v = ds[()]
    if h5py.check_string_dtype(ds.dtype) is not None or ds.dtype.kind in "SO":
        v = numpy.asarray(v, dtype=object)
        return [x.decode() if isinstance(x, bytes) else str(x) for x in v.reshape(-1)], "string"
    return numpy.asarray(v), str(ds.dtype)


def compare(a, b):
    import h5py
    import numpy
    diffs = []
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        da, la = walk(fa)
        db, lb = walk(fb)
        for p in sorted(set(da) ^ set(db)):
            diffs.append("%s only in %s" % (p, a if p in da else b))
        for p in sorted(set(la) | set(lb)):
            if la.get(p) != lb.get(p):
                diffs.append("%s: link %s vs %s" % (p, la.get(p), lb.get(p)))
        for p in sorted(set(da) & set(db)):
            (va, ta), (vb, tb) = value(da[p]), value(db[p])
            if ta != tb:
                diffs.append("%s: dtype %s vs %s" % (p, ta, tb))
            elif ta == "string":
                if va != vb:
                    diffs.append("%s: %r vs %r" % (p, va[:3], vb[:3]))
            elif va.shape != vb.shape:
                diffs.append("%s: shape %s vs %s" % (p, va.shape, vb.shape))
            elif not numpy.array_equal(va, vb):
                bad = numpy.argwhere(va != vb)[0]
                diffs.append("%s: differs at %s: %r vs %r" % (p, tuple(bad), va[tuple(bad)], vb[tuple(bad)]))
        # the scan's length and its point numbers as sent: two writers dropping the same Records
        # would otherwise compare equal
        points = [value(d["/%s/instrument/collection/point_nb" % ENTRY])[0].tolist() for d in (da, db)]
        print(json.dumps({"datasets": len(set(da) & set(db)), "points": points, "differences": diffs}))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    if len(sys.argv) == 10 and sys.argv[1] == "scan":
        scan(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8:10])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
