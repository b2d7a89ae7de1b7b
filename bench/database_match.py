"""Database matching quality: precision and recall of `database_identity_comparison`.

Generates N people (default 2,000) into a record source (the real import, sealed rows and blind
indexes, on a temporary SQLite file), then looks up N claims that are the same people written
differently (typos, swapped order, missing or initial middle names, nicknames, initials, dropped
accents and second surnames, other address forms, ZIP+4) and N near-miss impostors (namesakes with
another birthdate, siblings and twins with another first name, a typo'd name with a near birthdate,
a parent or child at the same address, the right name with another identification number). Each claim
goes through the record source and the comparison engine exactly as a database verification does.

    .venv/bin/python bench/database_match.py [--people 2000] [--seed 7]

Exits non-zero below the floors (recall 98 %, precision 99.5 %).
"""

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from openidv.checks import database_match as match
from openidv.kit import crypto
from openidv.kit.db import Base
from openidv.providers.imported_records import ImportedRecordSource, import_rows

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda William Elizabeth David Barbara Richard Susan Joseph Jessica Thomas "
    "Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Margaret Anthony Betty Steven Sandra Andrew Ashley Joshua Kimberly "
    "Kenneth Emily Kevin Donna Brian Michelle George Carol Timothy Amanda Ronald Melissa Edward Deborah Jason Stephanie Jeffrey "
    "Rebecca Ryan Laura Jacob Helen Gary Sharon Nicholas Cynthia Eric Kathleen José María François Zoë Björn Łukasz Søren Chloé "
    "Noémie Renée André Jürgen Ángel Inés Dmitri Olga Hiroshi Yuki Wei Mei Aarav Priya Kwame Amara Santiago Valentina Mateo Camila"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas "
    "Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King "
    "Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts O'Brien Müller "
    "Schröder Øster Dubois Lefèvre Kowalski Novák Jiménez Peña Ibáñez Fernández Castillo Okafor Mensah Tanaka Sato Kim Park Chen "
    "Wang Singh Patel Ivanova Petrov Rossi Bianchi Murphy Kelly Sullivan Walsh Byrne"
).split()
COMPOUND = ["García Pérez", "Fernández López", "Sánchez Ruiz", "Martín Gómez", "Van der Berg", "De la Cruz", "Smith-Jones", "Díaz Ortega"]
STREET_NAMES = "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset Ridge Highland Church Spring Mill River Forest Meadow Valley".split()
STREET_TYPES = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Boulevard", "Blvd"), ("Drive", "Dr"), ("Lane", "Ln"), ("Court", "Ct")]
DIRECTIONS = [("North", "N"), ("South", "S"), ("East", "E"), ("West", "W")]
CITIES = [
    ("San Francisco", "California", "CA", "941"), ("Austin", "Texas", "TX", "787"), ("Boston", "Massachusetts", "MA", "021"),
    ("Denver", "Colorado", "CO", "802"), ("Seattle", "Washington", "WA", "981"), ("Miami", "Florida", "FL", "331"),
    ("Chicago", "Illinois", "IL", "606"), ("Portland", "Oregon", "OR", "972"), ("Phoenix", "Arizona", "AZ", "850"),
    ("Atlanta", "Georgia", "GA", "303"), ("New York", "New York", "NY", "100"), ("Nashville", "Tennessee", "TN", "372"),
]


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def person(rng: random.Random, index: int) -> dict[str, Any]:
    first = rng.choice(FIRST)
    last = rng.choice(COMPOUND) if rng.random() < 0.1 else rng.choice(LAST)
    middle = rng.choice(FIRST) if rng.random() < 0.5 else ""
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 65 * 365))
    city, state_name, state, zip3 = rng.choice(CITIES)
    street_type = rng.choice(STREET_TYPES)
    direction = rng.choice(DIRECTIONS) if rng.random() < 0.2 else None
    street = " ".join(filter(None, [str(rng.randint(1, 9999)), direction[0] if direction else "", rng.choice(STREET_NAMES), street_type[0]]))
    return {
        "reference": f"p-{index}",
        "name-first": first,
        "name-middle": middle,
        "name-last": last,
        "birthdate": born.isoformat(),
        "address-street-1": street,
        "address-street-2": f"Apartment {rng.randint(1, 40)}" if rng.random() < 0.2 else "",
        "address-city": city,
        "address-subdivision": state_name,
        "address-postal-code": f"{zip3}{rng.randint(0, 99):02d}",
        "address-country-code": "US",
        "phone-number": f"+1415555{rng.randint(0, 9999):04d}",
        "email-address": f"{first.lower()}.{index}@example.com",
        "identification-number": ssn(rng),
    }


# ---------------------------------------------------------------- variants (same person)

NICK = {"William": "Bill", "Robert": "Bob", "Richard": "Rick", "James": "Jim", "Michael": "Mike", "Elizabeth": "Liz", "Margaret": "Peggy",
        "Thomas": "Tom", "Joseph": "Joe", "Charles": "Charlie", "Daniel": "Dan", "David": "Dave", "Edward": "Ted", "Christopher": "Chris",
        "Jennifer": "Jenny", "Patricia": "Pat", "Susan": "Sue", "Anthony": "Tony", "Andrew": "Andy", "Steven": "Steve", "Matthew": "Matt",
        "Nicholas": "Nick", "Kimberly": "Kim", "Timothy": "Tim", "Kenneth": "Ken", "Ronald": "Ron", "Rebecca": "Becky", "Deborah": "Debbie"}


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "replace", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "replace":
        return word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def strip_accents(text: str) -> str:
    from anyascii import anyascii

    return anyascii(text)


VARIANTS = {
    "exact": lambda _rng, c: c,
    "typo_first": lambda rng, c: {**c, "name-first": typo(rng, c["name-first"])},
    "typo_last": lambda rng, c: {**c, "name-last": typo(rng, c["name-last"])},
    "swapped": lambda _rng, c: {**c, "name-first": c["name-last"], "name-last": c["name-first"]},
    "no_middle": lambda _rng, c: {**c, "name-middle": ""},
    "middle_initial": lambda _rng, c: {**c, "name-middle": c["name-middle"][:1] + "." if c["name-middle"] else ""},
    "nickname": lambda _rng, c: {**c, "name-first": NICK.get(c["name-first"], c["name-first"])},
    "first_initial": lambda _rng, c: {**c, "name-first": c["name-first"][0] + "."},
    "full_name_in_first": lambda _rng, c: {**c, "name-first": f"{c['name-first']} {c['name-middle']}".strip()},
    "ascii_upper": lambda _rng, c: {**c, "name-first": strip_accents(c["name-first"]).upper(), "name-last": strip_accents(c["name-last"]).upper()},
    "one_surname": lambda _rng, c: {
        **c, "name-last": c["name-last"].replace("-", " ").split()[0] if " " in c["name-last"] or "-" in c["name-last"] else c["name-last"],
    },
    "address_forms": lambda rng, c: {
        **c,
        "address-street-1": _abbreviate(c["address-street-1"]).lower(),
        "address-street-2": c["address-street-2"].replace("Apartment ", "#"),
        "address-subdivision": match.subdivision(c["address-subdivision"]),
        "address-postal-code": c["address-postal-code"] + f"-{rng.randint(0, 9999):04d}",
    },
}


def _abbreviate(street: str) -> str:
    for long, short in STREET_TYPES + DIRECTIONS:
        street = street.replace(long, short)
    return street


def variant(rng: random.Random, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    names = rng.sample(list(VARIANTS), k=rng.choice((1, 2, 2, 3)))
    # Two name typos at once are out of scope (a different person as often as not); keep one.
    if "typo_first" in names and "typo_last" in names:
        names.remove("typo_last")
    claim = _claim(record)
    for name in names:
        claim = VARIANTS[name](rng, claim)
    if rng.random() < 0.2:
        claim["birthdate"] = ""  # identified by the number alone
    if rng.random() > 0.3 and claim["birthdate"]:
        claim["identification-number"] = ""
    return "+".join(sorted(names)), claim


def _claim(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "reference"}


# ---------------------------------------------------------------- impostors (another person)


def other_first(rng: random.Random, first: str) -> str:
    while True:
        candidate = rng.choice(FIRST)
        if all(match.token_match(a, b) == match.NONE for a in match.name_tokens(candidate) for b in match.name_tokens(first)):
            return candidate


def other_date(rng: random.Random, iso: str, within: int | None = None) -> str:
    base = date.fromisoformat(iso)
    while True:
        delta = rng.randint(1, within) if within else rng.randint(200, 20000)
        candidate = base + timedelta(days=delta * rng.choice((-1, 1)))
        if candidate != base:
            return candidate.isoformat()


IMPOSTORS = {
    "namesake": lambda rng, c: {**c, "birthdate": other_date(rng, c["birthdate"]), "identification-number": "", "address-street-1": "", "email-address": ""},
    "sibling": lambda rng, c: {
        **c, "name-first": other_first(rng, c["name-first"]), "name-middle": "", "birthdate": other_date(rng, c["birthdate"], 3000),
        "identification-number": "",
    },
    "twin": lambda rng, c: {**c, "name-first": other_first(rng, c["name-first"]), "name-middle": "", "identification-number": "", "email-address": ""},
    "typo_near_birthdate": lambda rng, c: {
        **c, "name-last": typo(rng, c["name-last"]), "birthdate": other_date(rng, c["birthdate"], 40), "identification-number": "",
    },
    "parent_or_child": lambda rng, c: {
        **c, "name-middle": "", "birthdate": other_date(rng, c["birthdate"], 12000), "identification-number": "", "phone-number": "",
    },
    "wrong_number": lambda rng, c: {**c, "birthdate": "", "identification-number": ssn(rng)},
}


def impostor(rng: random.Random, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = rng.choice(list(IMPOSTORS))
    return kind, IMPOSTORS[kind](rng, _claim(record))


# ---------------------------------------------------------------- run


def run(people: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    crypto.install(crypto.KeyRing.from_setting("k1:" + crypto.generate_key(), crypto.generate_key()))
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        Base.metadata.create_all(engine)
        records = [person(rng, i) for i in range(people)]
        with Session(engine) as db:
            report = import_rows(db, "bench", [{k: v for k, v in r.items() if v} for r in records])
            db.commit()
            assert report.imported == people and not report.rejected, report.rejected[:3]
            source = ImportedRecordSource("bench")

            def lookup(claim: dict[str, Any]) -> tuple[dict[str, Any] | None, match.Comparison | None]:
                claim = {k: v for k, v in claim.items() if v}
                return match.best(claim, source.candidates(db, claim))

            started = time.perf_counter()
            true_positive, missed, wrong_person = 0, Counter(), 0
            variant_counts: Counter[str] = Counter()
            for record in records:
                kind, claim = variant(rng, record)
                variant_counts[kind] += 1
                found, comparison = lookup(claim)
                if comparison and comparison.identity:
                    if found and found.get("identification-number") == record["identification-number"]:
                        true_positive += 1
                    else:
                        wrong_person += 1
                else:
                    missed[kind] += 1
            false_positive: Counter[str] = Counter()
            impostor_counts: Counter[str] = Counter()
            for record in records:
                kind, claim = impostor(rng, record)
                impostor_counts[kind] += 1
                _, comparison = lookup(claim)
                if comparison and comparison.identity:
                    false_positive[kind] += 1
            elapsed = time.perf_counter() - started
    fp = sum(false_positive.values()) + wrong_person
    return {
        "people": people,
        "recall": true_positive / people,
        "precision": true_positive / (true_positive + fp) if true_positive + fp else 0.0,
        "missed": dict(missed),
        "false_positives": dict(false_positive),
        "wrong_person": wrong_person,
        "impostors": dict(impostor_counts),
        "ms_per_lookup": 1000 * elapsed / (2 * people),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.people, args.seed)
    print(f"database_identity_comparison on {result['people']} people + {result['people']} near-miss impostors (seed {args.seed})")
    print(f"  recall     {result['recall'] * 100:6.2f} %   (floor 98 %)")
    print(f"  precision  {result['precision'] * 100:6.2f} %   (floor 99.5 %)")
    print(f"  time       {result['ms_per_lookup']:.2f} ms per lookup (record source + comparison)")
    print(f"  impostor kinds {result['impostors']}")
    if result["missed"]:
        print(f"  missed variants {result['missed']}")
    if result["false_positives"] or result["wrong_person"]:
        print(f"  false positives {result['false_positives']}, matched to the wrong person {result['wrong_person']}")
    ok = result["recall"] >= 0.98 and result["precision"] >= 0.995
    print("  floors met" if ok else "  BELOW THE FLOORS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
