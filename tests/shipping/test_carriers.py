"""Tracking-number validation with published samples, and the tracking-page links.

Where the samples come from:
- TND: tracking_number_data, couriers/*.json "test_numbers" (github.com/jkeen/tracking_number_data)
- drogher: the test suite of the drogher package (github.com/jbittel/drogher)
- UPS CIE: the test tracking numbers in UPS's Tracking API developer guide. Several of them do
  not carry a valid check digit (the packagetrack project notes the same), so they appear below
  as invalid: the algorithm is UPS's, the numbers are placeholders for its test environment.
- UPU S10: the standard's worked example, 12345678 -> check digit 5.
"""

import pytest

from shipping.carriers import KNOWN_CARRIERS, ValidationResult, tracking_url, validate

VALID = {
    "ups": [
        "1Z999AA10123456784",  # UPS's documentation example; drogher
        "1Z5R89390357567127",  # TND
        "1Z879E930346834440",  # TND (check digit 0)
        "1Z410E7W0392751591",  # TND
        "1Z8V92A70367203024",  # TND
        "1Z12345E6605272234",  # UPS CIE
        "1Z648616E192760718",  # UPS CIE
        "1ZXF38300382722839",  # UPS CIE
    ],
    "usps": [
        "03071790000523483741",  # TND "USPS 20"
        "71123456789123456787",  # TND "USPS 20"
        "71969010756003077385",  # TND "USPS 91": Certified Mail, check digit includes AI 91
        "9400111201080805483016",  # TND IMpb
        "9361289878700317633795",  # TND IMpb
        "9505511069605048600624",  # TND IMpb
        "9101123456789000000013",  # TND IMpb
        "9405803699300124287899",  # TND IMpb
        "9212391234567812345670",  # drogher IMpb (check digit 0)
        "RA123456785US",  # UPU S10 example
        "EF123456785US",  # drogher S10
        "RB123456785GB",  # TND S10
        "RZ030057180PH",  # drogher S10: 11 - remainder = 10 -> 0
        "VA456789015KG",  # drogher S10: 11 - remainder = 11 -> 5
    ],
    "fedex": [
        "986578788855",  # TND Express
        "477179081230",  # TND Express (check digit 0)
        "799531274483",  # TND Express
        "790535312317",  # TND Express
        "974367662710",  # TND Express
        "041441760228964",  # TND Ground
        "568283610012000",  # TND Ground
        "568283610012734",  # TND Ground
        "9611020987654312345672",  # TND Ground 96
        "9611019012345612345671",  # drogher Ground 96
        "9611019012345612345640",  # drogher Ground 96 (check digit 0)
    ],
    "dhl": [
        "3318810025",  # TND
        "8487135506",  # TND
        "1099255990",  # TND (check digit 0)
        "3821724944",  # TND
        "3318810036",  # TND
        "3318810014",  # TND
        "1656740256",  # drogher
    ],
}

UPS_PREFIX = "This is not a valid UPS tracking number: "
USPS_PREFIX = "This is not a valid USPS tracking number: "
FEDEX_PREFIX = "This is not a valid FedEx tracking number: "
DHL_PREFIX = "This is not a valid DHL Express tracking number: "
UPS_FORMAT = UPS_PREFIX + "a UPS tracking number starts with 1Z and has 18 characters."
USPS_FORMAT = USPS_PREFIX + (
    "a USPS tracking number has 20 digits, or 22 digits starting with 91 to 95, or is an "
    "international number of 2 letters, 9 digits and 2 letters (like RA123456785US)."
)
FEDEX_FORMAT = FEDEX_PREFIX + (
    "a FedEx tracking number has 12 digits (Express), 15 digits (Ground) or 22 digits "
    "starting with 96 (Ground barcode)."
)
DHL_FORMAT = DHL_PREFIX + "a DHL Express tracking (waybill) number has 10 digits."


def check_digit(prefix: str, should: str, got: str) -> str:
    return f"{prefix}the check digit should be {should}, not {got}."


INVALID = {
    "ups": [
        ("1Z999AA10123456785", check_digit(UPS_PREFIX, "4", "5")),  # last digit changed
        ("1Z999AA10123546784", check_digit(UPS_PREFIX, "5", "4")),  # two digits swapped
        ("1Z999AA1012345678A", check_digit(UPS_PREFIX, "4", "A")),
        ("1Z1111111111111111", check_digit(UPS_PREFIX, "8", "1")),  # TND invalid
        ("1Z12345E0205271688", check_digit(UPS_PREFIX, "6", "8")),  # UPS CIE placeholder
        ("1Z12345E1505270452", check_digit(UPS_PREFIX, "7", "2")),  # UPS CIE placeholder
        ("2Z5R89390357567127", UPS_FORMAT),  # TND invalid
        ("1A5R89390357567127", UPS_FORMAT),  # TND invalid
        ("1Z999AA1012345678", UPS_FORMAT),  # 17 characters
        ("1Z999AA101234567844", UPS_FORMAT),  # 19 characters
        ("1Z999AA1012345678/", UPS_FORMAT),
        ("986578788855", UPS_FORMAT),  # a FedEx number
    ],
    "usps": [
        ("03071790000523483742", check_digit(USPS_PREFIX, "1 or 3", "2")),  # TND invalid
        ("71969010756003077386", check_digit(USPS_PREFIX, "3 or 5", "6")),
        ("9400111201080805483017", check_digit(USPS_PREFIX, "6", "7")),
        ("9400111201080805843016", check_digit(USPS_PREFIX, "8", "6")),  # two digits swapped
        ("9200000000000000000000", check_digit(USPS_PREFIX, "1", "0")),  # TND invalid
        ("RB123456786US", check_digit(USPS_PREFIX, "5", "6")),  # TND invalid
        ("RA123456784US", check_digit(USPS_PREFIX, "5", "4")),
        ("9012345678901234567890", USPS_FORMAT),  # 22 digits, not 91-95
        ("940011120108080548301", USPS_FORMAT),  # 21 digits
        ("RA12345678US", USPS_FORMAT),  # S10 one digit short
        ("R1123456785US", USPS_FORMAT),
        ("1Z999AA10123456784", USPS_FORMAT),  # a UPS number
    ],
    "fedex": [
        ("996578788855", check_digit(FEDEX_PREFIX, "6", "5")),  # TND invalid
        ("986578788856", check_digit(FEDEX_PREFIX, "5", "6")),
        ("568283610012732", check_digit(FEDEX_PREFIX, "4", "2")),  # TND invalid
        ("9600000000000000000001", check_digit(FEDEX_PREFIX, "0", "1")),  # TND invalid
        ("9611020987654312345673", check_digit(FEDEX_PREFIX, "2", "3")),
        ("9261292700768711948021", FEDEX_FORMAT),  # 22 digits not 96: SmartPost (USPS IMpb)
        ("98657878885", FEDEX_FORMAT),  # 11 digits
        ("1234567890", FEDEX_FORMAT),
        ("98657878885A", FEDEX_FORMAT),
        ("1Z999AA10123456784", FEDEX_FORMAT),
    ],
    "dhl": [
        ("3318810010", check_digit(DHL_PREFIX, "4", "0")),  # TND invalid
        ("3318810034", check_digit(DHL_PREFIX, "6", "4")),  # TND invalid
        ("3318810011", check_digit(DHL_PREFIX, "4", "1")),  # TND invalid
        ("1656740257", check_digit(DHL_PREFIX, "6", "7")),
        ("73891051146", DHL_FORMAT),  # 11 digits
        ("331881002", DHL_FORMAT),  # 9 digits
        ("JJD0099999999", DHL_FORMAT),  # a piece id, not the waybill
        ("33188100A5", DHL_FORMAT),
    ],
}


@pytest.mark.parametrize(
    ("code", "number"), [(code, n) for code, numbers in VALID.items() for n in numbers]
)
def test_published_samples_are_valid(code, number):
    assert validate(code, number) == ValidationResult(True, number, "")


@pytest.mark.parametrize(
    ("code", "number", "message"),
    [(code, n, m) for code, samples in INVALID.items() for n, m in samples],
)
def test_invalid_samples_are_refused_with_a_message_saying_why(code, number, message):
    result = validate(code, number)
    assert not result.ok
    assert result.message == message
    assert result.normalized == number


def test_every_known_carrier_has_valid_and_invalid_samples_of_both_kinds():
    assert set(VALID) == set(INVALID) == set(KNOWN_CARRIERS)
    for code, samples in INVALID.items():
        messages = [m for _, m in samples]
        assert any("check digit" in m for m in messages), code
        assert any("check digit" not in m for m in messages), code


@pytest.mark.parametrize(
    ("code", "typed", "normalized"),
    [
        ("ups", " 1z 999 aa1 0123 456 784 ", "1Z999AA10123456784"),
        ("ups", "1Z-999-AA1-01234-56784", "1Z999AA10123456784"),
        ("usps", "9400 1112 0108 0805 4830 16", "9400111201080805483016"),
        ("usps", "ra 123 456 785 us", "RA123456785US"),
        ("fedex", "0414 4176 0228 964", "041441760228964"),
        ("fedex", "9611\t0209\u00a087654312345672", "9611020987654312345672"),
        ("dhl", "331-881-0025", "3318810025"),
    ],
)
def test_spaces_hyphens_and_case_are_normalized(code, typed, normalized):
    assert validate(code, typed) == ValidationResult(True, normalized, "")


@pytest.mark.parametrize(("code", "name"), [("ups", "UPS"), ("dhl", "DHL Express")])
def test_an_empty_number_is_refused_for_a_known_carrier(code, name):
    assert validate(code, " - ") == ValidationResult(
        False, "", f"Enter the {name} tracking number."
    )


def test_an_unknown_courier_takes_any_reference_trimmed_as_typed():
    assert validate("royal-mail", "  ab 123-x ") == ValidationResult(True, "ab 123-x", "")
    assert validate("royal-mail", "x" * 100).ok


def test_an_unknown_courier_refuses_an_empty_or_overlong_reference():
    assert validate("royal-mail", "   ") == ValidationResult(
        False, "", "Enter the tracking number or reference royal-mail gave you."
    )
    assert validate("royal-mail", "x" * 101) == ValidationResult(
        False, "x" * 101, "A royal-mail reference has at most 100 characters; this one has 101."
    )


@pytest.mark.parametrize(
    ("code", "number", "url"),
    [
        ("ups", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        (
            "usps",
            "9400111201080805483016",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111201080805483016",
        ),
        ("fedex", "986578788855", "https://www.fedex.com/fedextrack/?trknbr=986578788855"),
        (
            "dhl",
            "3318810025",
            "https://www.dhl.com/en/express/tracking.html?AWB=3318810025&brand=DHL",
        ),
    ],
)
def test_known_carriers_link_to_their_tracking_page(code, number, url):
    assert tracking_url(KNOWN_CARRIERS[code].tracking_url_template, number) == url


def test_tracking_url_quotes_the_number_so_it_cannot_change_the_link():
    template = "https://courier.example/track?ref={number}&lang=en"
    assert tracking_url(template, "AB 1&x=2/#") == (
        "https://courier.example/track?ref=AB%201%26x%3D2%2F%23&lang=en"
    )


def test_tracking_url_without_a_template_is_empty():
    assert tracking_url("", "1Z999AA10123456784") == ""
