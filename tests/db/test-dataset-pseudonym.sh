#!/usr/bin/env bash
# db_dataset_uses_pseudonyms: a study whose PatientID is not an LIDC-IDRI id (the demo study with
# its PatientID set to a made-up hospital number by dcmodify) is imported under a keyed
# pseudonym ("P-" + 24 hex digits, not schema 2's unkeyed 16), and `dataset` names its samples,
# its manifest's patient and its patch files by that same pseudonym: the PatientID appears in
# neither the manifest, nor a file name, nor the database. The database file is 0600 under
# umask 022. Needs dcmodify (DCMTK) and the demo study.
set -u
cli=$1
src=${LT_SOURCE_ROOT:?}
study=$src/resources/demo/LIDC-IDRI-0001
command -v dcmodify >/dev/null || { echo "SKIP: dcmodify (dcmtk) missing"; exit 77; }
[ -d "$study" ] || { echo "SKIP: no demo study"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$1"; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi; }
umask 022
secret=HOSP4711X
cp -r "$study" "$tmp/study"
dcmodify -nb -q -m "(0010,0020)=$secret" "$tmp"/study/*.dcm || { echo "FAIL dcmodify"; exit 1; }
export XDG_DATA_HOME=$tmp/xdg
"$cli" import "$tmp/study" --json >"$tmp/import.json" 2>"$tmp/e" || { cat "$tmp/e"; exit 1; }
patient=$(sed -E 's/.*"patient":"([^"]*)".*/\1/' "$tmp/import.json")
echo "import: patient $patient"
check '[[ "$patient" =~ ^P-[0-9a-f]{24}$ ]]' "import stores a keyed pseudonym (P- and 24 hex digits)"
"$cli" dataset "$tmp/study" --out "$tmp/ds" >"$tmp/o" 2>"$tmp/e" || { cat "$tmp/e"; exit 1; }
check '! grep -rq "$secret" "$tmp/ds"' "the PatientID is not in the data set's files"
check '! find "$tmp/ds" | grep -q "$secret"' "the PatientID is not in a file name"
check 'grep -Eq "\"patient\":[[:space:]]*\"$patient\"" "$tmp/ds/manifest.json"' \
  "the manifest's patient is the database's pseudonym"
check 'ls "$tmp/ds/patches" | grep -q "^$patient-n"' "patch files are named by the pseudonym"
db=$XDG_DATA_HOME/lungtrust/lungtrust.db
check '! grep -qa "$secret" "$db"' "the PatientID is not in the database"
check '[ "$(stat -c %a "$db")" = 600 ]' "the database is 0600 under umask 022"
check '[ "$(stat -c %a "$XDG_DATA_HOME/lungtrust")" = 700 ]' "its folder is 0700"
exit $fail
