"""What a value looks like, judged alone: an email, a phone number, a card number (Luhn), an
IBAN (mod 97), an IP address, a person's name (from the dictionaries, Faker's names loaded
on first use), a street address, a secret or credential, a birth date. The PII scan
(pii.py) weighs them over a column's sampled values."""

from __future__ import annotations

import importlib
import ipaddress
import pkgutil
import re
from datetime import date, datetime
from functools import cache
from typing import Any

from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES

ADDRESSES = (ipaddress.IPv4Address, ipaddress.IPv6Address)  # and their Interface subclasses


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


PHONE = re.compile(r"(\+?\d{1,3}[ .-]?)?(\(\d{2,4}\) ?|\d{2,4})([ .-]?\d{2,4}){1,3}")


SSN = re.compile(r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}")


STREET = re.compile(
    r"\d+[A-Za-z]?\s+(\w+\s+){0,3}(street|st|avenue|ave|road|rd|lane|ln|drive|dr|court|ct|"
    r"boulevard|blvd|way|place|pl|square|sq|terrace|parkway|pkwy|highway|hwy)\.?\b.*",
    re.IGNORECASE,
)


NAME_WORD = re.compile(r"[^\W\d_]+(['\u2019.-][^\W\d_]*)*")  # Ann, O'Brien, Jean-Luc, J.


# crypt(3) and framework password hashes: bcrypt, argon2, scrypt, sha-crypt, Django's pbkdf2
PASSWORD_HASH = re.compile(
    r"\$(2[abxy]?|argon2(id|i|d)|scrypt|7|5|6|1|pbkdf2(-sha\d+)?)\$\S{8,}"
    r"|(pbkdf2_sha\d+|bcrypt(_sha256)?|argon2|scrypt|sha1|md5)\$\S{8,}"
)


# API tokens that say what they are: Stripe, GitHub, Slack, AWS, Google, GitLab, JWTs
API_TOKEN = re.compile(
    r"(sk|pk|rk)_(live|test)_[0-9A-Za-z]{16,}|gh[pousr]_[0-9A-Za-z]{30,}"
    r"|xox[abprs]-[0-9A-Za-z-]{10,}|(AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
    r"|glpat-[0-9A-Za-z_-]{20,}|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"
)


HEX_DIGEST = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}")


USERNAME = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]{1,39}")


POSTAL = re.compile(
    r"\d{4,6}(-\d{3,4})?"  # US ZIP (+4), most of Europe, India
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d"  # Canada
    r"|\d{4} ?[A-Z]{2}|\d{3}-\d{4}|\d{2}-\d{3}",  # Netherlands, Japan, Poland
    re.IGNORECASE,
)


# what images and documents start with: JPEG, PNG, GIF, PDF, ZIP (docx, xlsx), TIFF, BMP,
# RIFF (WebP), ISO media (HEIC, MP4), OLE (doc, xls)
MAGIC_NUMBERS = (
    b"\xff\xd8\xff",
    b"\x89PNG",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"RIFF",
    b"\xd0\xcf\x11\xe0",
)


def is_email(value: Any) -> bool:
    return bool(EMAIL.fullmatch(_text(value)))


def is_phone(value: Any) -> bool:
    text = _text(value)
    digits = sum(ch.isdigit() for ch in text)
    return 7 <= digits <= 15 and bool(PHONE.fullmatch(text)) and not is_card(value)


def is_ssn(value: Any) -> bool:
    return bool(SSN.fullmatch(_text(value)))


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def is_card(value: Any) -> bool:
    digits = re.sub(r"[ -]", "", _text(value))
    return digits.isdigit() and 13 <= len(digits) <= 19 and luhn(digits)


def is_iban(value: Any) -> bool:
    text = _text(value).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def is_ip(value: Any) -> bool:
    text = _text(value)
    if not text or not re.fullmatch(r"[0-9A-Fa-f:.]+", text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@cache
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names (lower case) of every locale Faker knows, tens of thousands of
    each, and the built-in ones: a real customer's name is rarely in a short list. Loaded on
    the first scan (a tenth of a second), not by every command."""
    import faker.providers.person

    first = {name.lower() for name in FIRST_NAMES}
    last = {name.lower() for name in LAST_NAMES}
    for locale in pkgutil.iter_modules(faker.providers.person.__path__):
        module = importlib.import_module(f"{faker.providers.person.__name__}.{locale.name}")
        provider = vars(getattr(module, "Provider", object))
        for attribute, names in provider.items():
            if isinstance(names, list | tuple | dict) and attribute.startswith(
                ("first_names", "last_names")
            ):
                found = first if attribute.startswith("first") else last
                found.update(name.lower() for name in names if isinstance(name, str))
    return frozenset(first), frozenset(last)


def is_person_name(value: Any) -> bool:
    """'Ann Lee', 'Lee, Ann', 'Ann Marie Lee': a known first name and a known last name.
    One word alone is not enough: Rose, Brown and Paris are names too."""
    words = _text(value).lower().replace(",", " ").split()
    if not 2 <= len(words) <= 4:
        return False
    first, last = person_names()
    surname = words[-1] in last or " ".join(words[1:]) in last  # Pieter de Vries
    return (words[0] in first and surname) or (words[0] in last and words[-1] in first)


def is_name_shaped(value: Any) -> bool:
    """One to four words of letters ('Oluwaseun', "Siobhán O'Brien-Hale", '王伟'): what a
    column named ``first_name`` or ``full_name`` holds, from any country."""
    words = _text(value).replace(",", " ").split()
    return 1 <= len(words) <= 4 and all(NAME_WORD.fullmatch(word) for word in words)


def is_street_address(value: Any) -> bool:
    return bool(STREET.fullmatch(_text(value)))


def is_secret(value: Any) -> bool:
    """A password hash in a format that says so, or an API token: kept by nobody but the
    person it lets in."""
    text = _text(value)
    return bool(PASSWORD_HASH.fullmatch(text) or API_TOKEN.fullmatch(text))


def is_credential(value: Any) -> bool:
    """A secret, or a bare hex digest (an unsalted md5 or sha of a password)."""
    return is_secret(value) or bool(HEX_DIGEST.fullmatch(_text(value)))


def is_filled(value: Any) -> bool:
    """Anything at all: what a column named ``password`` holds is one, whatever it looks like."""
    return bool(_text(value)) or isinstance(value, bytes | bytearray | memoryview)


def is_username(value: Any) -> bool:
    return bool(USERNAME.fullmatch(_text(value))) or is_email(value)


def is_postal_code(value: Any) -> bool:
    return bool(POSTAL.fullmatch(_text(value)))


def is_document(value: Any) -> bool:
    """Bytes of an image or a document, by the magic number it starts with."""
    if isinstance(value, memoryview | bytearray):
        value = bytes(value[:8])
    return isinstance(value, bytes) and value.startswith(MAGIC_NUMBERS)


def is_birth_date(value: Any) -> bool:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return False
    age = (date.today() - value).days / 365.25
    return 0 <= age <= 120
