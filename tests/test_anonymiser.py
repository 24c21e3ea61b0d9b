"""Tests for tendering.anonymiser: the needs-specification PII scanner."""

from __future__ import annotations

import io
import sys

import pytest

from tendering import anonymiser_rules
from tendering.anonymiser import Finding, nhs_checksum_ok, scan, scan_fields, scan_lines


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in scan(text)]


# ---------------------------------------------------------------------------
# Positive cases: (text, kind, exact matched text)
# ---------------------------------------------------------------------------

POSITIVE = [
    # names: gazetteer pairs and single first names
    ("Jayden Smith is 14.", "name", "Jayden Smith"),
    ("Tyler likes football.", "name", "Tyler"),
    ("She lives with Tyler and his dog.", "name", "Tyler"),
    ("Her best friend Aaliyah plays netball.", "name", "Aaliyah"),
    ("She talks to Kwame every day.", "name", "Kwame"),
    ("Fatima goes to the mosque.", "name", "Fatima"),
    ("The family are Abdi Warsame and his children.", "name", "Abdi Warsame"),
    ("Contact Chidi Okafor first.", "name", "Chidi Okafor"),
    ("Her father is Łukasz Wiśniewski.", "name", "Łukasz Wiśniewski"),
    ("Her father is Lukasz Wisniewski.", "name", "Lukasz Wisniewski"),
    ("Her social worker is Sarah Jones.", "name", "Sarah Jones"),
    ("Tyler's mum visits weekly.", "name", "Tyler"),
    ("She is friends with Ruby at school.", "name", "Ruby"),
    ("Ruby is kind to younger children.", "name", "Ruby"),
    ("The Okafor family moved away.", "name", "Okafor"),
    ("Muhammad Ali Hassan is her cousin.", "name", "Muhammad Ali Hassan"),
    ("She is close to Smith-Jones.", "name", "Smith-Jones"),
    # names: ambiguous words need context
    ("Grace Brown is her sister.", "name", "Grace Brown"),
    ("Jack Okafor is her brother.", "name", "Jack Okafor"),
    ("Mark Brown is the uncle.", "name", "Mark Brown"),
    ("Christian Smith is the foster carer.", "name", "Christian Smith"),
    ("Chelsea Smith is her friend.", "name", "Chelsea Smith"),
    ("Mr Smith is her teacher.", "name", "Mr Smith"),
    ("Mrs Brown visits.", "name", "Mrs Brown"),
    ("Ms May phoned.", "name", "Ms May"),
    ("Dr Patel is her GP.", "name", "Dr Patel"),
    ("Mx Jones is her advocate.", "name", "Mx Jones"),
    ("She is called Will.", "name", "Will"),
    ("Her name is Grace.", "name", "Grace"),
    ("She is known as Tee.", "name", "Tee"),
    ("Her nickname is Tee Tee.", "name", "Tee Tee"),
    ("Ms Ama Mensah visited.", "name", "Ms Ama Mensah"),
    ("NAME: Tyler", "name", "Tyler"),
    ("Their preferred name is Alex.", "name", "Alex"),
    ("A baby named Summer.", "name", "Summer"),
    # postcodes
    ("She lived at SE6 4RU.", "postcode", "SE6 4RU"),
    ("Old address se64ru", "postcode", "se64ru"),
    ("Office EC1A 1BB", "postcode", "EC1A 1BB"),
    ("near M1 1AE", "postcode", "M1 1AE"),
    ("near B33 8TH", "postcode", "B33 8TH"),
    # phone numbers
    ("Call 07700 900123 after 5pm.", "phone", "07700 900123"),
    ("Mobile: 07700900123", "phone", "07700900123"),
    ("Call +44 7700 900123", "phone", "+44 7700 900123"),
    ("Office 020 7946 0018", "phone", "020 7946 0018"),
    ("Office (020) 7946 0018", "phone", "(020) 7946 0018"),
    ("Office +44 (0)20 7946 0018", "phone", "+44 (0)20 7946 0018"),
    ("Leeds 0113 496 0000", "phone", "0113 496 0000"),
    ("Dad's number is +234 803 123 4567", "phone", "+234 803 123 4567"),
    # email addresses
    ("Email jo.bloggs@example.org today", "email", "jo.bloggs@example.org"),
    ("First.Last+tag@council.gov.uk", "email", "First.Last+tag@council.gov.uk"),
    # dates
    ("Born 14/03/2011.", "date", "14/03/2011"),
    ("Born 14-03-11.", "date", "14-03-11"),
    ("Born 14.03.2011.", "date", "14.03.2011"),
    ("Born 2011-03-14.", "date", "2011-03-14"),
    ("Born 14 March 2011.", "date", "14 March 2011"),
    ("Born 14th March 2011.", "date", "14th March 2011"),
    ("Born on the 14th of March 2011.", "date", "14th of March 2011"),
    ("Born March 14, 2011.", "date", "March 14, 2011"),
    ("Born 14-Mar-2011.", "date", "14-Mar-2011"),
    # NHS numbers (943 476 5919 is the NHS Digital example and passes mod 11)
    ("NHS number 943 476 5919", "nhs_number", "943 476 5919"),
    ("NHS no 9434765919", "nhs_number", "9434765919"),
    ("NHS 943-476-5919", "nhs_number", "943-476-5919"),
    # National Insurance numbers
    ("NI number QQ 12 34 56 C", "ni_number", "QQ 12 34 56 C"),
    ("NINO AB123456C", "ni_number", "AB123456C"),
    ("NI ab 12 34 56 c", "ni_number", "ab 12 34 56 c"),
    ("NI AB 123456 C", "ni_number", "AB 123456 C"),
    # case and record references
    ("LCS123456 is her record.", "case_reference", "LCS123456"),
    ("Case ref 123456 applies.", "case_reference", "Case ref 123456"),
    ("See case no. 4471-22.", "case_reference", "case no. 4471-22"),
    ("Referral CR-2024-00017 was made.", "case_reference", "CR-2024-00017"),
    ("Mosaic ID 1234567", "case_reference", "Mosaic ID 1234567"),
    ("Old file ref: ABC/123/45", "case_reference", "file ref: ABC/123/45"),
    ("See ref: ABC/123/45", "case_reference", "ref: ABC/123/45"),
    ("record number 00123456", "case_reference", "record number 00123456"),
    ("Her number is 1234567.", "case_reference", "1234567"),
    ("Not an NHS number: 1234567890", "case_reference", "1234567890"),
    # named schools
    ("She attends Sydenham School.", "school", "Sydenham School"),
    ("At St Mary's RC Primary School in Lewisham.", "school", "St Mary's RC Primary School"),
    ("Was at St Saviour's CE Primary until 2020.", "school", "St Saviour's CE Primary"),
    ("Moved to St. Joseph's Catholic College.", "school", "St. Joseph's Catholic College"),
    ("On roll at Harris Academy Peckham.", "school", "Harris Academy"),
    ("Year 7 at Forest Hill School", "school", "Forest Hill School"),
    ("She attends Prendergast Ladywell School", "school", "Prendergast Ladywell School"),
    ("Later Lewisham College for a BTEC.", "school", "Lewisham College"),
    ("Attended Kelvin Grove Primary.", "school", "Kelvin Grove Primary"),
    ("Now at Abbey Manor College.", "school", "Abbey Manor College"),
    ("She went to Bishop Challoner Catholic Collegiate School",
     "school", "Bishop Challoner Catholic Collegiate School"),
]


@pytest.mark.parametrize(("text", "kind", "expected"), POSITIVE)
def test_positive(text, kind, expected):
    found = kinds_and_texts(text)
    assert (kind, expected) in found, found


# ---------------------------------------------------------------------------
# Negative cases: (text, kinds that must NOT be reported; None = no findings)
# ---------------------------------------------------------------------------

NEGATIVE = [
    # ordinary capitalised words
    ("She identifies as Muslim and is a practising Christian.", None),
    ("She is Sikh; her friends are Hindu, Jewish and Catholic.", None),
    ("She speaks Somali, Polish, Arabic, Tigrinya and Urdu and is Eritrean.", None),
    ("She sees her Mum, Dad, Nan, Grandma and Auntie. Her Carer is kind.", None),
    ("CAMHS, GCSE, EHCP, SEN, IRO, YOT, NHS, CSE, LAC, SGO, PRU, ADHD, ASD and Ofsted.", None),
    ("She loves Christmas, Easter, Eid, Diwali and Ramadan.", None),
    ("She enjoys English and Maths. Art and Music too.", None),
    ("On Monday, Wednesday and Saturday in January, March and December.", None),
    ("She lives in Lewisham, near Brent, Croydon, Chelsea and Camden.", None),
    ("She supports Chelsea and Crystal Palace.", None),
    ("She has been to Jordan, India and Georgia.", None),
    ("Brent Council, Richmond Park, Brent Cross, Wood Green and Forest Hill.", None),
    ("Victoria Station and King's Road.", None),
    # ambiguous name-words without context
    ("May we ask the provider? Will she manage? Mark the date.", None),
    ("Hope is important. Grace and Faith are values.", None),
    ("Summer holidays are hard. Rose early. Amber warnings.", None),
    ("Brown, Green and White are colours. Young people need support.", None),
    ("The Hall, the Church and the Wood. Bill the council. Jack up support.", None),
    ("White British. Black Caribbean. Roman Catholic. Christmas Eve.", None),
    ("In May she moved. In June she settled.", None),
    ("She visited St Thomas' Hospital and King's College Hospital.", None),
    ("She likes Tesco, Costa, McDonald's, Sainsbury's and Nando's.", None),
    # districts only
    ("She would like to live near Lewisham SE13 or in SE6.", None),
    ("Traffic on the M25 2nd junction.", None),
    # ages and month-year dates
    ("She is aged 14, 14 years old, in Year 9.", None),
    ("She moved in March 2024 and again in 2019.", None),
    ("The 2010/11 academic year and from 2019-2021.", None),
    ("The meeting is on 3 June.", None),
    # numbers that are not identifiers
    ("She scored 12345 points and the budget is £120000.", None),
    ("NHS-shaped but failing the checksum: 943 476 5918", ["nhs_number"]),
    ("Invalid NI prefixes DA123456A GB123456A BO123456A", ["ni_number"]),
    ("The child ID is 12", None),
    # schools that are not named
    ("She attends a secondary school and then a special school.", None),
    ("She was at the PRU, a pupil referral unit.", None),
    ("The Virtual School Head supports her. Her Secondary School is fine.", None),
    ("A Sixth Form College or a Free School would suit her.", None),
    # names in the wrong case are out of scope (documented)
    ("tyler smith", None),
]


@pytest.mark.parametrize(("text", "forbidden"), NEGATIVE)
def test_negative(text, forbidden):
    found = scan(text)
    if forbidden is None:
        assert found == [], [(f.kind, f.text) for f in found]
    else:
        assert not [f for f in found if f.kind in forbidden], found


# ---------------------------------------------------------------------------
# Paragraphs
# ---------------------------------------------------------------------------

CLEAN_PARAGRAPH = (
    "She is 14 and identifies as Muslim. She enjoys Maths and wants to sit her "
    "GCSEs. She sees CAMHS weekly and has an EHCP. She would like to stay near "
    "Lewisham SE13 and see her Mum on Saturdays. In March 2024 she moved schools."
)

LONG_CLEAN_PARAGRAPH = """\
Background: She is a 14 year old White British girl who has been looked after \
by the Local Authority since 2019 under a Care Order. She lives in a \
residential children's home in Kent and wants to move back to South London.
Health: She sees the Looked After Children Nurse every six months. She has a \
diagnosis of ADHD and is waiting for an ASD assessment. CAMHS offer weekly sessions.
Education: She is in Year 9 at a mainstream secondary school and has an EHCP. \
The Virtual School Head supports her PEP. She enjoys Art, Music, English and \
Drama. She attended a Pupil Referral Unit in 2022.
Identity: She identifies as Black Caribbean and attends church on Sundays with \
her Nan. Her father is Nigerian and speaks Yoruba; her mother is Jamaican.
Family: She has supervised contact with her Mum at a Family Centre and phone \
contact with her Dad on Wednesdays. Her Auntie lives in Croydon. Her Grandma \
visits at Christmas, Easter and Eid.
Risks: There are concerns about CSE and CCE. The YOT and the Police are \
involved. Her IRO chairs the LAC Review. She had an SGO assessment.
Interests: She supports Arsenal, plays Fortnite on her Xbox and likes \
Primark and Nando's. She wants a placement near Catford or Brockley.
Placement: A children's home registered with Ofsted and rated Good, with \
carers who can work with the Youth Offending Service and the Virtual School.
"""

DIRTY_PARAGRAPH = (
    "Jayden Smith (born 14/03/2011) lives at SE6 4RU with Mrs Okafor. "
    "Call her on 07700 900123 or email carer@example.org. "
    "His NHS number is 943 476 5919 and his NI number is AB123456C. "
    "Case ref 123456. He attends Sydenham School. Tyler likes football."
)


def test_clean_paragraph_has_no_findings():
    assert scan(CLEAN_PARAGRAPH) == []


def test_long_clean_paragraph_has_no_findings():
    found = scan(LONG_CLEAN_PARAGRAPH)
    assert found == [], [(f.kind, f.text) for f in found]


def test_dirty_paragraph_finds_exactly_the_expected_things():
    assert kinds_and_texts(DIRTY_PARAGRAPH) == [
        ("name", "Jayden Smith"),
        ("date", "14/03/2011"),
        ("postcode", "SE6 4RU"),
        ("name", "Mrs Okafor"),
        ("phone", "07700 900123"),
        ("email", "carer@example.org"),
        ("nhs_number", "943 476 5919"),
        ("ni_number", "AB123456C"),
        ("case_reference", "Case ref 123456"),
        ("school", "Sydenham School"),
        ("name", "Tyler"),
    ]


# ---------------------------------------------------------------------------
# API behaviour
# ---------------------------------------------------------------------------

def test_findings_are_sorted_non_overlapping_and_point_at_the_text():
    found = scan(DIRTY_PARAGRAPH)
    assert found == sorted(found, key=lambda f: f.start)
    for earlier, later in zip(found, found[1:]):
        assert earlier.end <= later.start
    for f in found:
        assert DIRTY_PARAGRAPH[f.start:f.end] == f.text


def test_longer_identifier_wins_over_contained_one():
    # The NHS number is not also reported as a phone number or a reference.
    assert kinds_and_texts("NHS 9434765919") == [("nhs_number", "9434765919")]
    assert kinds_and_texts("Mosaic ID 1234567") == [("case_reference", "Mosaic ID 1234567")]


def test_empty_text():
    assert scan("") == []


@pytest.mark.parametrize(("finding", "message"), [
    (Finding("name", "Jayden Smith", 0, 12), 'Remove the name "Jayden Smith"'),
    (Finding("postcode", "SE6 4RU", 0, 7),
     'Remove the full postcode "SE6 4RU" – a district such as "SE6" is fine'),
    (Finding("postcode", "se64ru", 0, 6),
     'Remove the full postcode "se64ru" – a district such as "SE6" is fine'),
    (Finding("phone", "07700 900123", 0, 12), 'Remove the phone number "07700 900123"'),
    (Finding("date", "14/03/2011", 0, 10),
     'Remove the date "14/03/2011" – give an age or a month and year instead'),
    (Finding("email", "a@b.org", 0, 7), 'Remove the email address "a@b.org"'),
    (Finding("nhs_number", "943 476 5919", 0, 12), 'Remove the NHS number "943 476 5919"'),
    (Finding("ni_number", "AB123456C", 0, 9),
     'Remove the National Insurance number "AB123456C"'),
    (Finding("case_reference", "LCS123456", 0, 9), 'Remove the case reference "LCS123456"'),
])
def test_messages(finding, message):
    assert finding.message() == message


def test_school_message_suggests_a_type_of_school():
    message = Finding("school", "Sydenham School", 0, 15).message()
    assert message.startswith('Remove the name of the school "Sydenham School"')


def test_finding_is_frozen():
    with pytest.raises(AttributeError):
        Finding("name", "Tyler", 0, 5).kind = "email"  # type: ignore[misc]


def test_scan_fields_returns_only_fields_with_findings():
    result = scan_fields({
        "summary": CLEAN_PARAGRAPH,
        "health": "NHS number 943 476 5919",
        "education": "She attends Sydenham School.",
        "empty": "",
    })
    assert set(result) == {"health", "education"}
    assert [f.kind for f in result["health"]] == ["nhs_number"]
    assert [f.text for f in result["education"]] == ["Sydenham School"]


def test_scan_lines_numbers_every_line_from_one():
    stream = io.StringIO("She is 14.\nTyler likes football.\n\nCall 07700 900123\n")
    assert list(scan_lines(stream)) == [
        {"line": 1, "findings": []},
        {"line": 2, "findings": [{"kind": "name", "text": "Tyler"}]},
        {"line": 3, "findings": []},
        {"line": 4, "findings": [{"kind": "phone", "text": "07700 900123"}]},
    ]


def test_scan_lines_accepts_bytes():
    lines = list(scan_lines(io.BytesIO("Email a@b.org\r\nok\r\n".encode())))
    assert lines == [
        {"line": 1, "findings": [{"kind": "email", "text": "a@b.org"}]},
        {"line": 2, "findings": []},
    ]


@pytest.mark.parametrize(("digits", "ok"), [
    ("9434765919", True),
    ("9434765918", False),
    ("4010232137", True),
    ("1234567890", False),
    ("0000000000", False),  # repeated digits are never issued
    ("943476591", False),
])
def test_nhs_checksum(digits, ok):
    assert nhs_checksum_ok(digits) is ok


# ---------------------------------------------------------------------------
# Gazetteer data: committed, loaded offline, no heavy dependencies
# ---------------------------------------------------------------------------

def test_gazetteer_is_committed_and_loaded_from_the_repo():
    g = anonymiser_rules.gazetteer()
    assert len(g.first_names) > 5000
    assert len(g.surnames) > 5000
    assert {"tyler", "jayden", "abdi", "chidi", "lukasz", "aaliyah"} <= g.first_names
    assert {"smith", "okafor", "warsame", "nowak", "yilmaz", "patel"} <= g.surnames
    assert {"lewisham", "muslim", "camhs", "mum"} <= g.not_names
    for name in ("first_names.txt", "surnames.txt", "name_words.txt", "not_names.txt"):
        assert (anonymiser_rules.DATA_DIR / name).is_file()


def test_scanner_needs_no_name_packages_or_nlp_models():
    for module in ("faker", "spacy", "nltk", "names_dataset", "gender_guesser"):
        assert module not in sys.modules
