#!/usr/bin/env bash
# db_analyze_stores_model_run: `analyze --db` writes an engine analysis into the database as a
# model run on the imported nodule (issue 4's third importer), re-runs add rows (each run is a
# record), and refuses a missing database, a foreign file and a nodule never imported with one
# line and exit 1, leaving the foreign file unchanged.
set -u
cli=$1
src=${LT_SOURCE_ROOT:?}
study=$src/resources/demo
model=$(ls "$src"/resources/models/*.safetensors 2>/dev/null | head -n 1)
if [ ! -d "$study" ] || [ -z "$model" ]; then echo "SKIP: no demo study or no bundled model"; exit 77; fi
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$1"; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi; }
one_line() { [ "$(wc -l < "$1")" -eq 1 ]; }

"$cli" analyze "$study" --nodule 1 --model "$model" --db "$tmp/none.db" >"$tmp/o" 2>"$tmp/e"
check '[ $? -eq 1 ] && one_line "$tmp/e" && [ ! -s "$tmp/o" ] && [ ! -e "$tmp/none.db" ]' \
  "missing database refused before the model runs, none created"
echo "not a database" > "$tmp/foreign.db"; cp "$tmp/foreign.db" "$tmp/foreign.orig"
"$cli" analyze "$study" --nodule 1 --model "$model" --db "$tmp/foreign.db" >"$tmp/o" 2>"$tmp/e"
check '[ $? -eq 1 ] && one_line "$tmp/e" && cmp -s "$tmp/foreign.db" "$tmp/foreign.orig"' \
  "foreign file refused with one line and left unchanged"

db=$tmp/lt.db
"$cli" import-ratings "$src/resources/lidc-ratings" --db "$db" >/dev/null 2>&1
"$cli" analyze "$study" --nodule 1 --model "$model" --db "$db" >"$tmp/o" 2>"$tmp/e"
check '[ $? -eq 1 ] && one_line "$tmp/e" && grep -q "import" "$tmp/e"' \
  "a nodule never imported: one line that says to import the study"
"$cli" import "$study" --db "$db" >/dev/null || { echo "FAIL import"; exit 1; }
"$cli" analyze "$study" --nodule 1 --model "$model" --db "$db" >"$tmp/o" 2>"$tmp/e"
check '[ $? -eq 0 ] && grep -q "stored as model run" "$tmp/o"' "analysis stored"
p=$(sed -n 's/^malignancy probability \([0-9.]*\).*/\1/p' "$tmp/o")
sha=$(sha256sum "$model" | cut -d' ' -f1)
row=$(sqlite3 "$db" "SELECT printf('%.3f', r.probability), r.weights_hash = 'sha256:$sha', n.source_key LIKE '%/1' FROM model_runs r JOIN nodules n ON n.id = r.nodule_id")
check '[ "$row" = "$p|1|1" ]' "model_runs row: probability $p as printed, the weights file's SHA-256, nodule 1 ($row)"
scope=$(sqlite3 "$db" "SELECT scope_level || '|' || scope_codes || '|' || json_extract(scope_reasons, '\$[0].code') FROM model_runs")
check '[ "$scope" = "out_of_scope|oversize|oversize" ]' "the run's scope decision stored with it ($scope)"
n_model=$(sqlite3 "$db" "SELECT count(*) FROM attribute_sets WHERE kind = 'model'")
check '[ "$n_model" = 1 ]' "the model's attribute set stored once ($n_model)"
"$cli" analyze "$study" --nodule 1 --model "$model" --db "$db" --json >"$tmp/o" 2>"$tmp/e"
check '[ $? -eq 0 ] && /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/o"' \
  "--json output stays pure JSON when storing"
check '[ "$(sqlite3 "$db" "SELECT count(*) FROM model_runs")" = 2 ]' "a second run is a second record"
"$cli" db check --db "$db" >/dev/null
check '[ $? -eq 0 ]' "db check passes"
[ $fail = 0 ] && echo "all passed"
exit $fail
