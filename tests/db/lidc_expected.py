#!/usr/bin/python3
"""Expected counts of importing the LIDC tables under the rules of docs/lidc-import.md,
computed independently of the C importer with Python's csv module. Prints key=value lines.
Usage: lidc_expected.py DIR [XML]  (XML: also print the mean ratings of LIDC-IDRI-0001's nodule
from its reading file, for the readers who rated it)."""
import collections
import csv
import sys

d = sys.argv[1]
SCALE = [5, 4, 6, 5, 5, 5, 5, 5, 5]
lst = list(csv.reader(open(d + '/list3.2.csv', newline='')))[1:]
rat = list(csv.reader(open(d + '/nodule_chara_list.csv', newline='')))
tcia = list(csv.reader(open(d + '/tcia-diagnosis-2012-04-20.csv', newline='')))[1:]

rows_of = collections.defaultdict(set)      # (patient, id) -> list rows
for i, r in enumerate(lst):
    for x in r[10:]:
        if x:
            rows_of[(int(r[1]), x)].add(i)
ratings_of = collections.Counter((int(r[0][10:]), r[1]) for r in rat)
amb = {k for k, v in rows_of.items() if len(v) > 1 or ratings_of[k] > 1}
out = collections.OrderedDict()
out['list_rows'] = len(lst)
out['rating_rows'] = len(rat)
out['r1_pairs'] = len(amb)
out['r1_nodules'] = len({i for k in amb for i in rows_of[k]})
out['r3_ids'] = sum(len(v) for k, v in rows_of.items() if ratings_of[k] == 0)
readings = collections.defaultdict(list)
r1 = r4 = r5 = r6rows = r6vals = r6empty = 0
for r in rat:
    key = (int(r[0][10:]), r[1])
    if len(r) == 2:
        r5 += 1
        continue
    vals = [int(v) if 1 <= int(v) <= SCALE[k] else None for k, v in enumerate(r[2:])]
    bad = sum(v is None for v in vals)
    r6vals += bad
    r6rows += bad > 0
    if bad == 9:
        r6empty += 1
        continue
    if key not in rows_of:
        r4 += 1
        continue
    if key in amb:
        r1 += 1
        continue
    (i,) = rows_of[key]
    readings[i].append(vals)
out['r1_rating_rows'] = r1
out['r4_rating_rows'] = r4
out['r5_rating_rows'] = r5
out['r6_rating_rows'] = r6rows
out['r6_values'] = r6vals
out['r6_empty_rows'] = r6empty
hist = collections.Counter(len(readings[i]) for i in range(len(lst)))
for k in range(8):
    out['readers_%d' % k] = hist[k]
out['r3_rows_without_reading'] = hist[0]
out['nodules_with_attributes'] = sum(1 for i in range(len(lst)) if readings[i])
out['reader_sets'] = sum(len(v) for v in readings.values())
wide = [i for i, r in enumerate(lst) if sum(1 for x in r[10:] if x) > 4]
out['r2_rows'] = len(wide)
out['r2_readings'] = sum(len(readings[i]) for i in wide)
patients = {int(r[1]) for r in lst} | {int(t[0][10:]) for t in tcia}
out['patients'] = len(patients)
out['studies'] = len({(r[1], r[2]) for r in lst})
nrows = collections.Counter(int(r[1]) for r in lst)
single = [t for t in tcia if nrows[int(t[0][10:])] == 1]
out['tcia_patient_level'] = len(tcia)
out['tcia_not_single_nodule'] = len(tcia) - len(single)
one = [t for t in single if sum(1 for k in range(5) if t[4 + 2 * k]) == 1]
out['tcia_not_single_diagnosis'] = len(single) - len(one)
out['tcia_nodule_level'] = len(one)
out['tcia_nodule_confirmed'] = sum(
    1 for t in one for k in range(5)
    if t[4 + 2 * k] and t[4 + 2 * k] in '123' and t[5 + 2 * k] in '1234')
# mean of the six retrieval scores of LIDC-IDRI-0001's (single) nodule from the tables
i0001 = [i for i, r in enumerate(lst) if int(r[1]) == 1]
six = [0, 3, 4, 5, 6, 8]
if len(i0001) == 1:
    v = readings[i0001[0]]
    out['p0001_tables_n'] = len(v)
    for j, k in enumerate(six):
        out['p0001_tables_%d' % j] = '%.6f' % (sum(x[k] for x in v) / len(v))
if len(sys.argv) > 2:
    import xml.etree.ElementTree as ET
    ns = '{http://www.nih.gov}'
    root = ET.parse(sys.argv[2]).getroot()
    names = ['subtlety', 'sphericity', 'margin', 'lobulation', 'spiculation', 'malignancy']
    sets = []
    for s in root.iter(ns + 'readingSession'):
        for n in s.iter(ns + 'unblindedReadNodule'):
            c = n.find(ns + 'characteristics')
            if c is not None and c.find(ns + 'malignancy') is not None:
                sets.append([float(c.find(ns + x).text) for x in names])
    out['p0001_xml_n'] = len(sets)
    out['p0001_xml_rois'] = sum(1 for s in root.iter(ns + 'readingSession')
                                for n in s.iter(ns + 'unblindedReadNodule')
                                for r in n.iter(ns + 'roi'))
    for j in range(6):
        out['p0001_xml_%d' % j] = '%.6f' % (sum(s[j] for s in sets) / len(sets))
for k, v in out.items():
    print('%s=%s' % (k, v))
