"""tests/lt_check.py — the one check helper of the Python test scripts: check() prints each
result as "ok   ..." or "FAIL ...", and exit_status() prints the count of failures and gives
the exit status (0 when none). A script imports it with its folder's parent on sys.path."""

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def exit_status():
    print(f"{len(failures)} failed")
    return 1 if failures else 0
