"""The carriers the back office knows, and their tracking numbers' published formats.

Pure functions, no database: `validate()` checks a number's format and check digit and says
what is wrong in words a member of staff can act on; `tracking_url()` fills a carrier's
tracking-page template. Any courier not known here takes any non-empty reference.

The formats and check-digit rules follow the carriers' label specifications as collected by
the tracking_number_data project (github.com/jkeen/tracking_number_data); the test samples
name where each number comes from.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

MAX_REFERENCE_LENGTH = 100
NUMBER_PLACEHOLDER = "{number}"


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    normalized: str
    message: str = ""


@dataclass(frozen=True)
class KnownCarrier:
    code: str
    name: str
    tracking_url_template: str
    check: Callable[[str], str | None]  # a normalized number -> what is wrong, or None


def normalize(number: str) -> str:
    """A tracking number as carriers print it: no spaces or hyphens, upper case."""
    return re.sub(r"[\s\-]+", "", number).upper()


def validate(carrier_code: str, number: str) -> ValidationResult:
    """Check `number` against the carrier's published format and check digit.

    Couriers that are not known (any other code) take any non-empty reference of at most
    MAX_REFERENCE_LENGTH characters, trimmed but otherwise as typed.
    """
    carrier = KNOWN_CARRIERS.get(carrier_code)
    if carrier is None:
        return validate_reference(number, courier=carrier_code)
    normalized = normalize(number)
    if not normalized:
        return ValidationResult(False, normalized, f"Enter the {carrier.name} tracking number.")
    problem = carrier.check(normalized)
    if problem:
        return ValidationResult(
            False, normalized, f"This is not a valid {carrier.name} tracking number: {problem}"
        )
    return ValidationResult(True, normalized)


def validate_reference(number: str, *, courier: str) -> ValidationResult:
    """A courier's reference whose format we do not know: anything non-empty and not too long."""
    reference = number.strip()
    if not reference:
        return ValidationResult(
            False, reference, f"Enter the tracking number or reference {courier} gave you."
        )
    if len(reference) > MAX_REFERENCE_LENGTH:
        return ValidationResult(
            False,
            reference,
            f"A {courier} reference has at most {MAX_REFERENCE_LENGTH} characters; "
            f"this one has {len(reference)}.",
        )
    return ValidationResult(True, reference)


def tracking_url(template: str, number: str) -> str:
    """The carrier's tracking page for `number`, or "" when the carrier has no template.

    The number is URL-quoted, so a courier reference with spaces or `&` cannot change the
    link's meaning.
    """
    if not template:
        return ""
    return template.replace(NUMBER_PLACEHOLDER, quote(number, safe=""))


def _wrong_check_digit(expected: str, actual: str) -> str:
    return f"the check digit should be {expected}, not {actual}."


def _mod10(digits: str) -> int:
    """GS1 mod 10: weights 3 and 1 alternating from the right (the rightmost gets 3)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


UPS_FORMAT = re.compile(r"1Z[0-9A-Z]{16}")
UPS_MESSAGE = "a UPS tracking number starts with 1Z and has 18 characters."


def _check_ups(number: str) -> str | None:
    """1Z, 6-character shipper number, 2-character service, 7-character package id, check
    digit: mod 10 over characters 3-17, letters counted as (code point - 63) mod 10 (A=2,
    B=3, …), every second character doubled."""
    if not UPS_FORMAT.fullmatch(number):
        return UPS_MESSAGE
    total = 0
    for i, char in enumerate(number[2:17]):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * (2 if i % 2 else 1)
    expected = str((10 - total % 10) % 10)
    return None if number[17] == expected else _wrong_check_digit(expected, number[17])


S10_FORMAT = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _s10_check_digit(serial: str) -> int:
    """UPU S10: weights 8,6,4,2,3,5,9,7; 11 - sum mod 11, where 10 becomes 0 and 11 becomes 5."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


USPS_MESSAGE = (
    "a USPS tracking number has 20 digits, or 22 digits starting with 91 to 95, or is an "
    "international number of 2 letters, 9 digits and 2 letters (like RA123456785US)."
)


def _check_usps(number: str) -> str | None:
    if S10_FORMAT.fullmatch(number):
        expected = str(_s10_check_digit(number[2:10]))
        return None if number[10] == expected else _wrong_check_digit(expected, number[10])
    if re.fullmatch(r"[0-9]{20}", number):
        # Certified Mail and older Delivery Confirmation labels print 20 digits but compute
        # the check digit with the barcode's application identifier "91" in front; other
        # 20-digit labels compute it over the 19 digits alone. Both are in use.
        plain, with_ai = _mod10(number[:19]), _mod10("91" + number[:19])
        if int(number[19]) in (plain, with_ai):
            return None
        return _wrong_check_digit(f"{plain} or {with_ai}", number[19])
    if re.fullmatch(r"9[1-5][0-9]{20}", number):
        expected = str(_mod10(number[:21]))
        return None if number[21] == expected else _wrong_check_digit(expected, number[21])
    return USPS_MESSAGE


FEDEX_MESSAGE = (
    "a FedEx tracking number has 12 digits (Express), 15 digits (Ground) or 22 digits "
    "starting with 96 (Ground barcode)."
)
FEDEX_EXPRESS_WEIGHTS = (3, 1, 7) * 3 + (3, 1)


def _check_fedex(number: str) -> str | None:
    if not re.fullmatch(r"[0-9]+", number):
        return FEDEX_MESSAGE
    if len(number) == 12:
        # Express: weights 3,1,7 from the left over the first 11 digits (1,3,7 read from the
        # right), sum mod 11, where 10 becomes 0.
        total = sum(int(d) * w for d, w in zip(number[:11], FEDEX_EXPRESS_WEIGHTS, strict=True))
        expected = str(total % 11 % 10)
        return None if number[11] == expected else _wrong_check_digit(expected, number[11])
    if len(number) == 15 or (len(number) == 22 and number.startswith("96")):
        # The 22-digit Ground barcode is 96, a 2-digit SCNC and a 3-digit service code in
        # front of the 15-digit Ground number, whose own check digit ends it.
        ground = number[-15:]
        expected = str(_mod10(ground[:14]))
        return None if ground[14] == expected else _wrong_check_digit(expected, ground[14])
    return FEDEX_MESSAGE


DHL_MESSAGE = "a DHL Express tracking (waybill) number has 10 digits."


def _check_dhl(number: str) -> str | None:
    """DHL Express waybill: 9 digits and a check digit, the 9 digits as a number mod 7."""
    if not re.fullmatch(r"[0-9]{10}", number):
        return DHL_MESSAGE
    expected = str(int(number[:9]) % 7)
    return None if number[9] == expected else _wrong_check_digit(expected, number[9])


KNOWN_CARRIERS: dict[str, KnownCarrier] = {
    carrier.code: carrier
    for carrier in [
        KnownCarrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}", _check_ups),
        KnownCarrier(
            "usps",
            "USPS",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            _check_usps,
        ),
        KnownCarrier(
            "fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}", _check_fedex
        ),
        KnownCarrier(
            "dhl",
            "DHL Express",
            "https://www.dhl.com/en/express/tracking.html?AWB={number}&brand=DHL",
            _check_dhl,
        ),
    ]
}

# The checks an admin can choose for a carrier: (code, whose format).
NUMBER_CHECKS = [(carrier.code, f"{carrier.name}'s format") for carrier in KNOWN_CARRIERS.values()]
