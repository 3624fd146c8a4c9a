#!/usr/bin/env python3
"""Seeds an account with many users, for Tenantry's benchmark (see BENCHMARKS.md).

Names are drawn from realistic distributions: surnames follow their approximate frequency in the
2010 US census (Smith about 0.83 %, Johnson 0.66 %, ...), the remaining ~86 % come from a long tail
of about 2,400 rarer surnames; "Vanterpool" is deliberately rare (8 of the 100,000 default users) so a
filter can match almost nothing while still matching something. The generator is seeded, so the
same arguments give the same rows.

Two modes:

  seed_users.py sqlite DB_FILE [--count N]
      Inserts straight into a Tenantry SQLite file, in one transaction. The server must be stopped.
      The account is the only account in the file (or --account-id); the active users get the
      password hash of that account's first Administrator (so rows have a realistic size).

  seed_users.py sql --account-id ID --password-hash PHC [--count N]
      Prints SQL (one transaction of multi-row INSERTs) on stdout, for `psql` (PostgreSQL).

  seed_users.py csv OUT_DIR [--count N] [--rows-per-file 10000]
      Writes import files (`email,name,role,licenses`, at most 10,000 rows each: the import's
      limit) for `tenantry users import`, which is how run.sh seeds: through the product's own
      import, on either database. Imported users are invited (they have not signed in).

Both print, on stderr, how many users each --report term matches the way the users list filters
(case-insensitive substring of name or email).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time

# Approximate 2010 US census frequency per 100,000 people.
COMMON_SURNAMES = [
    ("Smith", 828), ("Johnson", 655), ("Williams", 551), ("Brown", 487), ("Jones", 481),
    ("Garcia", 469), ("Miller", 452), ("Davis", 431), ("Rodriguez", 412), ("Martinez", 388),
    ("Hernandez", 387), ("Lopez", 297), ("Gonzalez", 284), ("Wilson", 265), ("Anderson", 260),
    ("Thomas", 253), ("Taylor", 250), ("Moore", 240), ("Jackson", 237), ("Martin", 233),
    ("Lee", 227), ("Perez", 221), ("Thompson", 220), ("White", 217), ("Harris", 211),
    ("Sanchez", 202), ("Clark", 190), ("Ramirez", 188), ("Lewis", 182), ("Robinson", 179),
    ("Walker", 174), ("Young", 164), ("Allen", 159), ("King", 153), ("Wright", 152),
    ("Scott", 142), ("Torres", 140), ("Nguyen", 140), ("Hill", 140), ("Flores", 138),
    ("Green", 134), ("Adams", 130), ("Nelson", 128), ("Baker", 125), ("Hall", 125),
    ("Rivera", 118), ("Campbell", 116), ("Mitchell", 116), ("Carter", 115), ("Roberts", 114),
    ("Gomez", 110), ("Phillips", 109), ("Evans", 108), ("Turner", 106), ("Diaz", 105),
    ("Parker", 103), ("Cruz", 102), ("Edwards", 101), ("Collins", 100), ("Reyes", 99),
    ("Stewart", 98), ("Morris", 97), ("Morales", 96), ("Murphy", 95), ("Cook", 94),
    ("Rogers", 93), ("Gutierrez", 92), ("Ortiz", 91), ("Morgan", 90), ("Cooper", 89),
    ("Peterson", 88), ("Bailey", 87), ("Reed", 86), ("Kelly", 85), ("Howard", 84),
    ("Ramos", 83), ("Kim", 82), ("Cox", 81), ("Ward", 80), ("Richardson", 79),
    ("O'Brien", 40), ("Vanterpool", 5),
]

# Long tail: prefix + suffix, e.g. "Ashford", "Brookman". No part contains a common surname above.
TAIL_PREFIXES = [
    "Ash", "Bar", "Bel", "Black", "Bram", "Brook", "Cal", "Car", "Chad", "Cole", "Cran", "Dal",
    "Den", "Dun", "East", "El", "Fair", "Fen", "Fitz", "Gar", "Gil", "Glen", "Gold", "Hal", "Har",
    "Hart", "Hay", "Hol", "Hun", "Kel", "Ken", "Kings", "Lang", "Lind", "Lock", "Mar", "Mel",
    "Mer", "Mont", "Nor", "Oak", "Pem", "Pen", "Ral", "Red", "Ros", "Rush", "Sal", "Sher", "Stan",
    "Stock", "Sum", "Thorn", "Wal", "Wen", "West", "Whit", "Wood", "Yar", "Zel",
]
TAIL_SUFFIXES = [
    "berg", "bourne", "bridge", "brook", "bury", "by", "combe", "croft", "dale", "den", "don",
    "field", "ford", "gate", "grove", "ham", "hurst", "ing", "land", "ley", "low", "man", "mere",
    "more", "ridge", "rose", "sby", "stead", "stone", "ton", "vale", "ville", "well", "wick",
    "win", "wood", "worth", "ey", "ett", "ard",
]

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Dorothy", "Jason",
    "Rebecca", "Edward", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Amy", "Gary",
    "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Brenda", "Stephen", "Emma",
    "Larry", "Anna", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Samantha", "Benjamin",
    "Katherine", "Samuel", "Christine", "Gregory", "Helen", "Alexander", "Debra", "Patrick",
    "Rachel", "Frank", "Carolyn", "Raymond", "Janet", "Jack", "Maria", "Dennis", "Olivia", "Jerry",
    "Heather", "Tyler", "Diane", "Aaron", "Julie", "Jose", "Joyce", "Adam", "Victoria", "Nathan",
    "Ruth", "Henry", "Virginia", "Zachary", "Lauren", "Douglas", "Kelly", "Peter", "Christina",
    "Kyle", "Joan", "Noah", "Evelyn", "Ethan", "Judith", "Jeremy", "Andrea", "Christian", "Hannah",
    "Walter", "Megan", "Keith", "Cheryl", "Austin", "Jacqueline", "Roger", "Martha", "Terry",
    "Madison", "Sean", "Teresa", "Gerald", "Gloria", "Carl", "Sara", "Dylan", "Janice", "Harold",
    "Ann", "Jordan", "Kathryn", "Jesse", "Abigail", "Bryan", "Sophia", "Lawrence", "Frances",
    "Arthur", "Jean", "Gabriel", "Alice", "Bruce", "Judy", "Logan", "Isabella", "Billy", "Julia",
    "Joe", "Grace", "Alan", "Amber", "Juan", "Denise", "Elijah", "Danielle", "Willie", "Marilyn",
    "Albert", "Beverly", "Wayne", "Charlotte", "Randy", "Natalie", "Mason", "Theresa", "Vincent",
    "Diana", "Liam", "Brittany", "Roy", "Doris", "Bobby", "Kayla", "Caleb", "Alexis", "Bradley",
    "Lori", "Russell", "Marie", "Wei", "Priya", "Yuki", "Ahmed", "Fatima", "Chen", "Aisha", "Lucas",
]

EMAIL_DOMAIN = "bench.example"
TIMEZONES = ["UTC"] * 6 + ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Tokyo"]
COLUMNS = (
    "id", "account_id", "email", "email_normalized", "name", "name_sort", "username", "role", "status",
    "password_hash", "timezone", "date_format", "time_format", "last_sign_in_at", "created_at", "updated_at",
)


def surnames() -> tuple[list[str], list[float]]:
    names = [n for n, _ in COMMON_SURNAMES]
    weights = [float(w) for _, w in COMMON_SURNAMES]
    tail = [p + s for p in TAIL_PREFIXES for s in TAIL_SUFFIXES]
    tail_share = 100_000.0 - sum(weights)
    names += tail
    weights += [tail_share / len(tail)] * len(tail)
    return names, weights


def generate(count: int, account_id: str, password_hash: str | None, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    last_names, last_weights = surnames()
    lasts = rng.choices(last_names, weights=last_weights, k=count)
    now_ms = int(time.time() * 1000)
    three_years_ms = 3 * 365 * 24 * 3600 * 1000
    taken: set[str] = set()
    rows = []
    for last in lasts:
        first = rng.choice(FIRST_NAMES)
        name = f"{first} {last}"
        local = f"{first}.{last}".lower().replace("'", "")
        email = f"{local}@{EMAIL_DOMAIN}"
        n = 1
        while email.lower() in taken:
            n += 1
            email = f"{local}{n}@{EMAIL_DOMAIN}"
        taken.add(email.lower())
        uid = "usr_%024x" % rng.getrandbits(96)
        r = rng.random()
        status = "active" if r < 0.90 else ("invited" if r < 0.97 else "locked")
        role = "administrator" if rng.random() < 0.02 else "member"
        created = now_ms - rng.randrange(three_years_ms)
        updated = created + rng.randrange(max(1, now_ms - created))
        last_sign_in = max(created, now_ms - rng.randrange(90 * 24 * 3600 * 1000)) if status == "active" else None
        rows.append((
            uid, account_id, email, email.lower(), name, name.lower(), None, role, status,
            None if status == "invited" else password_hash, rng.choice(TIMEZONES), "YYYY-MM-DD", "24h",
            last_sign_in, created, updated,
        ))
    return rows


def report(rows: list[tuple], terms: list[str]) -> None:
    for term in terms:
        t = term.lower()
        hits = sum(1 for r in rows if t in r[5] or t in r[3])
        print(f"SEED term={term} matches={hits} of {len(rows)} seeded users", file=sys.stderr)


def sql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["sqlite", "sql", "csv"])
    ap.add_argument("db", nargs="?", help="SQLite file (sqlite mode) or output folder (csv mode)")
    ap.add_argument("--rows-per-file", type=int, default=10_000)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--account-id")
    ap.add_argument("--password-hash")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--report", default="smith,vanterpool", help="comma-separated filter terms to count")
    args = ap.parse_args()
    terms = [t for t in args.report.split(",") if t]

    if args.mode == "csv":
        if not args.db:
            ap.error("csv mode needs the output folder")
        import csv
        import os
        os.makedirs(args.db, exist_ok=True)
        rows = generate(args.count, "-", None, args.seed)
        files = 0
        for i in range(0, len(rows), args.rows_per_file):
            files += 1
            with open(os.path.join(args.db, f"users-{files:03d}.csv"), "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["email", "name", "role", "licenses"])
                for r in rows[i:i + args.rows_per_file]:
                    w.writerow([r[2], r[4], r[7], ""])
        print(f"SEED generated={len(rows)} files={files} folder={args.db}", file=sys.stderr)
    elif args.mode == "sqlite":
        if not args.db:
            ap.error("sqlite mode needs the database file")
        con = sqlite3.connect(args.db)
        con.execute("PRAGMA busy_timeout = 10000")
        account_id = args.account_id
        if account_id is None:
            ids = [r[0] for r in con.execute("SELECT id FROM accounts")]
            if len(ids) != 1:
                print(f"expected exactly one account, found {len(ids)}: pass --account-id", file=sys.stderr)
                return 1
            account_id = ids[0]
        password_hash = args.password_hash
        if password_hash is None:
            row = con.execute(
                "SELECT password_hash FROM users WHERE account_id = ? AND role = 'administrator' ORDER BY created_at LIMIT 1",
                (account_id,),
            ).fetchone()
            password_hash = row[0] if row else None
        started = time.monotonic()
        rows = generate(args.count, account_id, password_hash, args.seed)
        with con:
            con.executemany(
                f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
            )
        total = con.execute("SELECT COUNT(*) FROM users WHERE account_id = ?", (account_id,)).fetchone()[0]
        con.close()
        print(f"SEED inserted={len(rows)} account={account_id} users_in_account={total} seconds={time.monotonic() - started:.1f}", file=sys.stderr)
    else:
        if not args.account_id:
            ap.error("sql mode needs --account-id")
        rows = generate(args.count, args.account_id, args.password_hash, args.seed)
        out = sys.stdout
        out.write("BEGIN;\n")
        for i in range(0, len(rows), 1000):
            chunk = rows[i:i + 1000]
            out.write(f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES\n")
            out.write(",\n".join("(" + ", ".join(sql_literal(v) for v in r) + ")" for r in chunk))
            out.write(";\n")
        out.write("COMMIT;\n")
        print(f"SEED generated={len(rows)} account={args.account_id}", file=sys.stderr)
    report(rows, terms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
