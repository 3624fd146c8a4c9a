#!/usr/bin/env python3
"""The users-list statements the server runs, timed straight on the database (see BENCHMARKS.md).

The SQL is read from crates/storage/src/users.rs (its `concat!` constants), and chosen and bound
the way `users::list` does, so this times what the server runs rather than a copy that drifts.

  list_queries.py sqlite USERS_RS DB_FILE ACCOUNT_ID TERM...
      Runs each term's first page (LIMIT 51) on the SQLite file and prints its plan and time.

  list_queries.py postgres USERS_RS DATABASE_URL ACCOUNT_ID TERM...
      Prepares each term's statement with a generic plan (through psql), prints EXPLAIN ANALYZE of
      its first page and times 30 executions.

A term of "" means no filter.
"""

from __future__ import annotations

import re
import sqlite3
import statistics
import subprocess
import sys
import time

LIMIT = 51  # the server asks for one row more than the default page of 50


def rust_str(body: str) -> str:
    """The value of a Rust string literal's body (the escapes the SQL constants use)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "\n":  # line continuation: skips the newline and the next line's indentation
            i += 2
            while i < len(body) and body[i] in " \t\n":
                i += 1
            continue
        out.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}[nxt])
        i += 2
    return "".join(out)


LITERAL = r'"((?:[^"\\]|\\.)*)"'


def statements(users_rs: str) -> dict[str, str]:
    """Every `const NAME: &str = concat!(...)` / `= "..."` of users.rs, as SQL text."""
    src = open(users_rs, encoding="utf-8").read()
    macros = {}
    for m in re.finditer(r"macro_rules!\s*(\w+)\s*\{\s*\(\)\s*=>\s*\{\s*" + LITERAL, src, re.S):
        macros[m.group(1)] = rust_str(m.group(2))
    out = {}
    for m in re.finditer(r"const (\w+): &str = (concat!\((.*?)\);|" + LITERAL + ";)", src, re.S):
        name, parts = m.group(1), m.group(3)
        if parts is None:
            out[name] = rust_str(m.group(4))
            continue
        sql = []
        for p in re.finditer(LITERAL + r"|(\w+)!\(\)", parts, re.S):
            sql.append(rust_str(p.group(1)) if p.group(2) is None else macros[p.group(2)])
        out[name] = "".join(sql)
    return out


def escape_like(s: str) -> str:
    return "".join("\\" + c if c in "%_\\" else c for c in s)


def chosen(stmts: dict[str, str], backend: str, term: str) -> tuple[str, str, str]:
    """(statement name, SQL, pattern) as `users::list` picks them for a trimmed, lowercased term."""
    term = term.strip().lower()
    if not term:
        name, pattern = "LIST_SCAN", ""
    elif len(term) < 3:
        name, pattern = "LIST_SCAN", f"%{escape_like(term)}%"
    elif backend == "sqlite":
        name, pattern = "LIST_SEARCH_SQLITE", '"' + term.replace('"', '""') + '"'
    else:
        name, pattern = "LIST_SEARCH_POSTGRES", f"%{escape_like(term)}%"
    return name, stmts[name], pattern


def run_sqlite(users_rs: str, db: str, account: str, terms: list[str]) -> None:
    stmts = statements(users_rs)
    con = sqlite3.connect(db)
    print("sqlite", sqlite3.sqlite_version, "(Python's; the server links its own build)")
    for term in terms:
        name, sql, pattern = chosen(stmts, "sqlite", term)
        sql = re.sub(r"\$(\d+)", r"?\1", sql)
        args = (account, pattern, "", "", "", "", LIMIT)
        plan = [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, args)]
        rows = con.execute(sql, args).fetchall()
        times = []
        for _ in range(30):
            t = time.perf_counter()
            con.execute(sql, args).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        print(
            f"q={term or '(none)'} ({name}): {len(rows)} rows, median {statistics.median(times):.2f} ms, "
            f"min {min(times):.2f} ms over {len(times)} runs; plan: {' / '.join(plan)}"
        )


def run_postgres(users_rs: str, url: str, account: str, terms: list[str]) -> None:
    stmts = statements(users_rs)
    for term in terms:
        name, sql, pattern = chosen(stmts, "postgres", term)
        args = ", ".join(["'" + account + "'", "'" + pattern.replace("'", "''") + "'", "''", "''", "''", "''", str(LIMIT)])
        # A generic plan is what a pooled connection runs once PostgreSQL stops re-planning the
        # statement for its bound values; 30 timed executions follow the plan, their rows discarded.
        script = "\n".join(
            ["SET plan_cache_mode = force_generic_plan;",
             f"PREPARE q(text, text, text, text, text, text, bigint) AS {sql};",
             f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q({args});",
             "\\o /dev/null", "\\timing on"]
            + [f"EXECUTE q({args});"] * 30
        )
        out = subprocess.run(["psql", url, "-qAtX", "-v", "ON_ERROR_STOP=1"], input=script, text=True, capture_output=True, check=True).stdout
        times = [float(t) for t in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
        plan = "\n".join(line for line in out.splitlines() if not line.startswith("Time: "))
        print(f"q={term or '(none)'} ({name}, generic plan): median {statistics.median(times):.2f} ms, min {min(times):.2f} ms over {len(times)} runs (psql round trip)")
        print(plan)


def main() -> int:
    if len(sys.argv) >= 5 and sys.argv[1] == "sqlite":
        run_sqlite(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif len(sys.argv) >= 5 and sys.argv[1] == "postgres":
        run_postgres(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
