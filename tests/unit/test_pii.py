"""PII detection on a labelled corpus of columns: precision and recall are measured."""

from __future__ import annotations

import ipaddress
import random
from datetime import date, datetime, timedelta

import pytest

from kitchen.data import detectors, pii

rng = random.Random(7)


def card() -> str:
    """A random 16-digit number with a valid Luhn check digit."""
    digits = "".join(str(rng.randrange(10)) for _ in range(15))
    return next(digits + str(c) for c in range(10) if detectors.luhn(digits + str(c)))


def iban() -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(18))
    for check in range(100):
        candidate = f"DE{check:02d}{body}"
        if detectors.is_iban(candidate):
            return candidate
    raise AssertionError


def token(length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def bcrypt() -> str:
    return f"$2b$12${token(53)}"


N = 60
REAL_NAMES = [
    "Margaret Sullivan",
    "Hans Müller",
    "Sofía Hernández",
    "Giulia Romano",
    "Ewa Nowak",
    "Pieter de Vries",
    "Aoife Byrne",
    "Rajesh Kumar",
    "Chloé Dubois",
    "Lars Johansson",
    "Ana Souza",
    "Kenji Tanaka",
    "Fatima Zahra",
    "Dmitri Ivanov",
    "Mehmet Y\u0131lmaz",
    "Nguyen Van An",
    "Priya Sharma",
    "Carlos Mendoza",
    "Ingrid Larsen",
    "Tomasz Kowalski",
    "Yusuf Demir",
    "Olga Petrova",
    "Liam O'Connor",
    "Amara Okafor",
    "Juan Pablo García",
]
WORLD_NAMES = [
    "Oluwaseun Adeyemi",
    "Nguyễn Thị Lan",
    "Siobhán O\u2019Brien-Hale",
    "王伟",
    "Xiadani Tlapa",
]
PII_COLUMNS: dict[str, tuple[str, list[object]]] = {
    "contact": ("email", [f"p{i}@mail{i % 3}.example.org" for i in range(N)]),
    "mobile": (
        "phone",
        [f"+44 20 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}" for _ in range(N)],
    ),
    "tel_us": ("phone", [f"(212) 555-{rng.randrange(1000, 9999)}" for _ in range(N)]),
    "ssn": (
        "national id",
        [
            f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
            for _ in range(N)
        ],
    ),
    "payment": ("card number", [card() for _ in range(N)]),
    "bank": ("iban", [iban() for _ in range(N)]),
    "client_ip": (
        "ip address",
        [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(N)],
    ),
    "v6": ("ip address", [f"2001:db8::{rng.randrange(65535):x}" for _ in range(N)]),
    "customer": (
        "person name",
        [
            rng.choice(["Olivia", "Noah", "Emma", "Yusuf"]) + " " + rng.choice(["Smith", "Garcia"])
            for _ in range(N)
        ],
    ),
    "first_name": ("person name", [rng.choice(["Liam", "Ava", "Mia", "Leo"]) for _ in range(N)]),
    # real customers' names, few of them in the masking dictionaries
    "holder": ("person name", [rng.choice(REAL_NAMES) for _ in range(N)]),
    # named like names, from anywhere: their shape is enough
    "full_name": ("person name", [rng.choice(WORLD_NAMES) for _ in range(N)]),
    "home": (
        "street address",
        [f"{rng.randrange(1, 999)} {rng.choice(['Oak', 'Elm Tree'])} Street" for _ in range(N)],
    ),
    "dob": (
        "birth date",
        [date(1960, 1, 1) + timedelta(days=rng.randrange(15000)) for _ in range(N)],
    ),
    # inside arrays, JSON objects (as psycopg reads jsonb, or as text) and structs
    "profile": (
        "email",
        [{"plan": "gold", "contact": {"email": f"u{i}@x.example"}} for i in range(N)],
    ),
    "cc_list": ("email", [[f"a{i}@corp.example", f"b{i}@corp.example"] for i in range(N)]),
    "raw_json": (
        "phone",
        [f'{{"tel": "(212) 555-{rng.randrange(1000, 9999)}"}}' for _ in range(N)],
    ),
    "peer": ("ip address", [ipaddress.ip_interface(f"10.0.{i}.1/24") for i in range(N)]),
    # numbers, read as text where the name agrees
    "phone_number": ("phone", [2125550000 + rng.randrange(10000) for _ in range(N)]),
    "card_no": ("card number", [int(card()) for _ in range(N)]),
    # credentials: by name whatever they hold, and by the look of their values
    "password": ("credential", [f"hunter{rng.randrange(100)}!" for _ in range(N)]),
    "password_hash": ("credential", [bcrypt() for _ in range(N)]),
    "pw": ("credential", [f"{rng.getrandbits(128):032x}" for _ in range(N)]),  # bare md5
    "auth": (
        "credential",
        [f"$argon2id$v=19$m=65536,t=3,p=4${token(22)}${token(43)}" for _ in range(N)],
    ),
    "kdf": ("credential", [f"$scrypt$ln=16,r=8,p=1${token(22)}${token(43)}" for _ in range(N)]),
    "stripe": ("credential", [f"sk_live_{token(24)}" for _ in range(N)]),
    "gh": ("credential", [f"ghp_{token(36)}" for _ in range(N)]),
    "api_key": ("credential", [token(40) for _ in range(N)]),
    "session": (
        "credential",
        [f"eyJhbGciOi{token(10)}.eyJzdWIiOi{token(20)}.{token(43)}" for _ in range(N)],
    ),
    "django": ("credential", [f"pbkdf2_sha256$600000${token(22)}${token(44)}" for _ in range(N)]),
    # usernames and logins
    "username": (
        "username",
        [f"{rng.choice(['jsmith', 'ana.k', 'lee_88', 'mo'])}{i}" for i in range(N)],
    ),
    "login": ("username", [f"{rng.choice(['ops', 'dba', 'kim'])}_{i}" for i in range(N)]),
    "sign_in": ("email", [f"user{i}@corp.example" for i in range(N)]),  # a login that is one
    "screen_name": (
        "username",
        [f"@{rng.choice(['nightowl', 'cat-lady', 'gamer'])}{i}" for i in range(N)],
    ),
    # images and documents, by their magic numbers whatever the column is called
    "photo": ("image or document", [b"\xff\xd8\xff\xe0" + rng.randbytes(60) for _ in range(N)]),
    "blob": ("image or document", [b"%PDF-1.7\n" + rng.randbytes(60) for _ in range(N)]),
    "upload": ("image or document", [b"\x89PNG\r\n\x1a\n" + rng.randbytes(60) for _ in range(N)]),
    # postal codes of many countries
    "zip": ("postal code", [f"{rng.randrange(10000, 99999)}" for _ in range(N)]),
    "postal_code": (
        "postal code",
        [rng.choice(["SW1A 1AA", "EC1A 1BB", "M1 1AE", "K1A 0B1", "1012 AB"]) for _ in range(N)],
    ),
    "postcode": (
        "postal code",
        [f"{rng.randrange(10, 99)}-{rng.randrange(100, 999)}" for _ in range(N)],
    ),
}
DECOYS: dict[str, list[object]] = {
    "order_id": list(range(N)),
    "amount": [rng.random() * 100 for _ in range(N)],
    "status": [rng.choice(["paid", "shipped", "refunded"]) for _ in range(N)],
    "product": [rng.choice(["Espresso beans", "Earl grey", "French press"]) for _ in range(N)],
    "city": [rng.choice(["Springfield", "Riverton", "Salem", "Paris", "Austin"]) for _ in range(N)],
    # words that are also names, alone or two by two
    "color": [rng.choice(["Brown", "Green", "White", "Rose", "Gray"]) for _ in range(N)],
    "month": [rng.choice(["May", "June", "April", "August"]) for _ in range(N)],
    "destination": [rng.choice(["New York", "San Jose", "Santa Clara"]) for _ in range(N)],
    "company": [rng.choice(["Acme Corp", "Brown Logistics", "Smith & Sons"]) for _ in range(N)],
    "product_name": [
        rng.choice(["Earl Grey", "Espresso Beans", "Blue Mountain"]) for _ in range(N)
    ],
    "sku": [f"SKU-{rng.randrange(10**6):06d}" for _ in range(N)],
    "created_at": [datetime(2025, 1, 1) + timedelta(hours=i) for i in range(N)],
    "order_date": [date(2025, 1, 1) + timedelta(days=i) for i in range(N)],
    "uuid": [f"{rng.getrandbits(128):032x}" for _ in range(N)],
    "version": [f"{rng.randrange(9)}.{rng.randrange(9)}.{rng.randrange(9)}" for _ in range(N)],
    "note": ["call back tomorrow", "gift wrap", None] * (N // 3),
    "quantity": [rng.randrange(1, 5) for _ in range(N)],
    # a rental shop's own data: film titles, store cities, hashes of files and commits
    "title": [
        rng.choice(["Academy", "Ace", "African", "Agent"])
        + " "
        + rng.choice(["Dinosaur", "Goldfinger", "Egg", "Truman"])
        for _ in range(N)
    ],
    "film_title": [
        rng.choice(["The Godfather", "Casablanca", "Amelie", "Vertigo", "Heat"]) for _ in range(N)
    ],
    "store_city": [rng.choice(["Lethbridge", "Woodridge", "Calgary", "Leeds"]) for _ in range(N)],
    "checksum": [f"{rng.getrandbits(128):032x}" for _ in range(N)],
    "commit_sha": [f"{rng.getrandbits(160):040x}" for _ in range(N)],
    "content_hash": [f"{rng.getrandbits(256):064x}" for _ in range(N)],
    "etag": [f"{rng.getrandbits(128):032x}" for _ in range(N)],
    "payload": [rng.randbytes(64) for _ in range(N)],  # bytes without a magic number
    "rating": [rng.choice(["G", "PG", "PG-13", "R", "NC-17"]) for _ in range(N)],
    "release_year": [rng.randrange(1950, 2025) for _ in range(N)],
    "language": [rng.choice(["English", "Italian", "Japanese", "Mandarin"]) for _ in range(N)],
    "description": [
        f"A {rng.choice(['Epic', 'Fateful', 'Astounding'])} Drama of a Boat" for _ in range(N)
    ],
    "token_count": [rng.randrange(10, 4000) for _ in range(N)],
    "last_login_at": [datetime(2025, 1, 1) + timedelta(hours=i) for i in range(N)],
    "isbn": [f"978-{rng.randrange(10**9):09d}-{rng.randrange(10)}" for _ in range(N)],
    "country_code": [rng.choice(["US", "GB", "DE", "JP"]) for _ in range(N)],
    "tags": [rng.sample(["gift", "vip", "b2b", "late"], 2) for _ in range(N)],
    "settings": [{"theme": rng.choice(["dark", "light"]), "beta": True} for _ in range(N)],
    "line_items": [f'[{{"sku": "SKU-{i}", "qty": 2}}]' for i in range(N)],
    "phone_calls": [rng.randrange(6) for _ in range(N)],
    "big_id": [4_000_000_000 + rng.randrange(10**9) for _ in range(N)],  # phone-length digits
}
TYPES = {
    "dob": "DATE",
    "order_date": "DATE",
    "created_at": "TIMESTAMP",
    "profile": "jsonb",
    "cc_list": "text[]",
    "raw_json": "JSON",
    "peer": "inet",
    "tags": "VARCHAR[]",
    "settings": "jsonb",
    "line_items": "JSON",
    "phone_number": "BIGINT",
    "card_no": "BIGINT",
    "order_id": "INTEGER",
    "amount": "DOUBLE",
    "quantity": "INTEGER",
    "phone_calls": "INTEGER",
    "big_id": "BIGINT",
    "photo": "bytea",
    "blob": "BLOB",
    "upload": "bytea",
    "payload": "bytea",
    "release_year": "INTEGER",
    "token_count": "INTEGER",
    "last_login_at": "TIMESTAMP",
}


def found() -> dict[str, str]:
    columns = {name: values for name, (_, values) in PII_COLUMNS.items()} | DECOYS
    results = {}
    for name, values in columns.items():
        finding = pii.classify("t", name, TYPES.get(name, "TEXT"), values)
        if finding:
            results[name] = finding.kind
    return results


def test_precision_and_recall_on_the_labelled_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    results = found()
    true_positives = [n for n, (kind, _) in PII_COLUMNS.items() if results.get(n) == kind]
    false_positives = [
        n for n in results if n not in PII_COLUMNS or results[n] != PII_COLUMNS[n][0]
    ]
    precision = len(true_positives) / max(len(results), 1)
    recall = len(true_positives) / len(PII_COLUMNS)
    with capsys.disabled():
        print(
            f"\nPII scan: precision {precision:.2f}, recall {recall:.2f} "
            f"({len(PII_COLUMNS)} PII columns, {len(DECOYS)} decoys); false: {false_positives}"
        )
    assert len(PII_COLUMNS) + len(DECOYS) >= 60
    assert recall >= 0.95, {n: (results.get(n), kind) for n, (kind, _) in PII_COLUMNS.items()}
    assert precision >= 0.85, false_positives


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (detectors.is_card, "4111 1111 1111 1111", "4111 1111 1111 1112"),  # Luhn fails
        (detectors.is_iban, "GB82 WEST 1234 5698 7654 32", "GB83 WEST 1234 5698 7654 32"),
        (detectors.is_ssn, "123-45-6789", "666-45-6789"),
        (detectors.is_ip, "192.168.0.1", "999.1.1.1"),
        (detectors.is_email, "a.b+c@x.example", "a@b"),
        (detectors.is_street_address, "221B Baker Street", "Baker"),
        (detectors.is_person_name, "Smith, Olivia", "Olivia Espresso Beans Deluxe Extra"),
        (detectors.is_person_name, "Pieter de Vries", "Rose"),  # one word is not enough
        (detectors.is_name_shaped, "Siobhán O'Brien-Hale", "SKU-1234"),
        (detectors.is_secret, "$2b$12$" + "a" * 53, "$2 off today"),
        (detectors.is_secret, "sk_live_" + "a1" * 12, "sk_live"),
        (detectors.is_credential, "8cb2237d0679ca88db6464eac60da96345513964", "8cb2237d0679ca88"),
        (detectors.is_postal_code, "SW1A 1AA", "Springfield"),
        (detectors.is_username, "@night_owl", "Ann Lee"),
        (detectors.is_document, b"%PDF-1.4 ...", b"\x00\x01random"),
    ],
)
def test_detectors(check, good: str, bad: str) -> None:
    assert check(good) and not check(bad)


def test_name_alone_flags_an_empty_column() -> None:
    finding = pii.classify("t", "email_address", "TEXT", [None, None])
    assert finding is not None and "no values" in finding.evidence


@pytest.mark.parametrize(
    ("column", "rule"),
    [("first_name", {"name": "first"}), ("Surname", {"name": "last"}), ("full_name", "name")],
)
def test_a_column_holding_one_part_of_a_name_is_given_that_part(column: str, rule) -> None:
    names = ["Ann", "Bo", "Cyrus", "Dee", "Ed"] if rule != "name" else ["Ann Lee", "Bo Stone"]
    finding = pii.classify("t", column, "TEXT", names * 4)
    assert finding is not None and finding.suggested_rule == rule


@pytest.mark.parametrize("column", ["Full Name", "first-name", "E-Mail Address"])
def test_names_with_spaces_and_dashes_read_as_words(column: str) -> None:
    finding = pii.classify("t", column, "TEXT", [None])
    assert finding is not None and "no values" in finding.evidence


def test_findings_never_contain_values() -> None:
    values = [f"secret{i}@corp.example" for i in range(10)]
    finding = pii.classify("t", "x", "TEXT", values)
    assert finding is not None
    assert "secret" not in finding.evidence and "corp" not in pii.describe(finding)


@pytest.mark.parametrize(
    ("column", "sql_type", "values", "rule"),
    [
        ("email", "TEXT", ["a@corp.example"], "email"),
        ("cc_list", "text[]", [["a@corp.example"]], "null"),  # email fits text, not arrays
        ("profile", "jsonb", [{"email": "a@corp.example"}], "null"),
        ("phone", "BIGINT", [None], "null"),  # named like one, empty, and a number
        ("phone", "BIGINT", [2125551234], "null"),
        ("ssn", "character(4)", [None], "null"),  # REDACTED would not fit
        ("card_no", "varchar(19)", [None], {"partial": {"last": 4}}),
        ("client_ip", "inet", [ipaddress.ip_address("10.0.0.1")], "null"),
    ],
)
def test_suggested_rules_fit_the_column(
    column: str, sql_type: str, values: list[object], rule: object
) -> None:
    """Following a suggestion must not lead to "does not fit" (exit 2) at the next copy."""
    finding = pii.classify("t", column, sql_type, values)
    assert finding is not None and finding.suggested_rule == rule
