"""Tracking codes citizens read back over USSD, SMS and the phone.

A Verhoeff check digit catches every single mistyped digit and every swap of
two neighbouring digits, the errors people make when copying a number.
"""

from __future__ import annotations

import re
import secrets

from flows.normalise import is_ascii_digits, normalise_input

MIN_LENGTH = 10
MAX_LENGTH = 12
_CODE = re.compile(rf"[0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}")

# Dihedral group D5 multiplication, position permutation and inverse tables.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _checksum(digits: str, offset: int) -> int:
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[(i + offset) % 8][int(digit)]]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ASCII digits."""
    if not is_ascii_digits(digits):
        raise ValueError(f"Verhoeff needs ASCII digits, got {digits!r}")
    return str(_INV[_checksum(digits, offset=1)])


def is_valid_tracking_code(code: str) -> bool:
    """True for 10 to 12 digits (any script) whose last digit is the Verhoeff check."""
    code = normalise_input(code)
    return _CODE.fullmatch(code) is not None and _checksum(code, offset=0) == 0


def new_tracking_code(length: int = 11) -> str:
    """A random tracking code with no leading zero (spreadsheets would drop it)."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"tracking codes are {MIN_LENGTH} to {MAX_LENGTH} digits, not {length}")
    payload = secrets.choice("123456789") + "".join(
        secrets.choice("0123456789") for _ in range(length - 2)
    )
    return payload + verhoeff_check_digit(payload)
