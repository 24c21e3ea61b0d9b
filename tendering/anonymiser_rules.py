"""Patterns, word lists and stoplists used by :mod:`tendering.anonymiser`.

Everything here is pure Python and offline.  The name gazetteer is read from
the committed files in ``tendering/data/`` (see ``make_name_lists.py`` there
for where the names came from); nothing is downloaded at run time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

#: The documented stoplist of names that are also everyday words.  On their
#: own they are never reported; they count as a name only with context: a
#: title ("Mrs May"), "called / named / known as / her name is" ("known as
#: Will"), or a neighbouring name word ("Grace Brown", "Jack Okafor").  The
#: same treatment is given automatically to surnames that are ordinary
#: lower-case English words in the SCOWL list (``data/name_words.txt``:
#: "Park", "Hill", "Smith"), to words in ``data/not_names.txt`` that are also
#: names (places, faiths, months: "Chelsea", "Brent", "Christian", "Jordan")
#: and to names of one or two letters.  First names that are ordinary words
#: but not listed here ("Ruby", "Holly", "Harry") are reported mid-sentence.
CONTEXT_ONLY_NAMES = frozenset("""
may june april august will grace hope faith rose mark bill jack amber summer
autumn winter spring brown green white black young hall king church wood
frank joy dawn sky star chance art guy ray pat sue don rob drew chase sage
major general sterling page case job buddy baron duke prince princess queen
lady royal noble angel precious unique lucky sunny golden ivory ebony crystal
river ocean storm rain cliff glen dale dean heath miles reed rusty sandy penny
kit max nick bob rich carol eve liberty justice trinity genesis harmony destiny
grant roman canal corona divan forum laze loot mad man mar marine nail raid sad
safari said salami server sever sole veer harsh ion pier wadi van gala fancy ale
albino bale eta lei lope tan toy sol nadir
""".split())

#: Soft names (ordinary words such as "Ruby", "Harry") at the start of a
#: sentence are reported only when the next word makes them the subject.
SUBJECT_VERBS = frozenset("""
is was has had likes liked loves loved enjoys enjoyed wants wanted would will
can could does did says said attends attended lives lived goes went needs
feels felt gets got moved has hates prefers plays played told reports
reported struggles finds found became becomes shares sees saw visits visited
stays stayed spends describes identifies presents responds engages and
""".split())

TITLE_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master|Prof)\.?[ \t]+(?=[^\W\d_])")
INTRODUCER_RE = re.compile(
    r"(?i:\b(?:called|named|nicknamed|renamed|also\s+known\s+as|known\s+as|aka|"
    r"goes\s+by|(?:her|his|their|my|whose|child's|young\s+person's)\s+"
    r"(?:first\s+|middle\s+|last\s+|full\s+|preferred\s+|real\s+|birth\s+|sur|nick)?"
    r"name\s+(?:is|was)|name\s*:))[ \t]+(?=[^\W\d_])"
)
#: A word: letters, optionally joined by apostrophes or hyphens (O'Brien,
#: Smith-Jones, Al-Hassan).  Capitalisation is checked in code.
WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
POSSESSIVE_RE = re.compile(r"['’]s$")
SAINT_RE = re.compile(r"\b(?:St\.?|Saint|Prophet)[ \t]+$")

_FOLD = str.maketrans({"ł": "l", "ı": "i", "ø": "o", "đ": "d", "ß": "ss", "’": "'"})


def fold(word: str) -> str:
    """Case- and accent-insensitive form of a word for gazetteer look-ups."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _read_words(filename: str, split_lines: bool = False) -> frozenset[str]:
    words: set[str] = set()
    for line in (DATA_DIR / filename).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words.update(fold(w) for w in (line.split() if split_lines else [line]))
    return frozenset(words)


@dataclass(frozen=True)
class Gazetteer:
    first_names: frozenset[str]
    surnames: frozenset[str]
    name_words: frozenset[str]  # names that are also ordinary English words
    not_names: frozenset[str]  # never a name on its own


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer(
        first_names=_read_words("first_names.txt"),
        surnames=_read_words("surnames.txt"),
        name_words=_read_words("name_words.txt"),
        not_names=_read_words("not_names.txt", split_lines=True),
    )


# --------------------------------------------------------------------------
# Contact details and identifiers
# --------------------------------------------------------------------------

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

#: Full UK postcode (outward + inward code), any case, space optional.
POSTCODE_RE = re.compile(
    r"\b(?P<outward>GIR|[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[ \t]?(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})

#: UK-shaped phone numbers: 0 + 9-10 digits, or +44/0044 + 9-10 digits.
#: Numbers in Ofcom's drama ranges (07700 900xxx) are "possible" but not
#: "valid" for phonenumbers, so we check possibility, not validity.
UK_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+44|0044)[\s-]?(?:\(0\)[\s-]?)?|\(0|0)\d(?:\)?[\s-]?\d){8,9}(?!\d)"
)

NHS_RE = re.compile(r"(?<![\d-])\d{3}([ -]?)\d{3}\1\d{4}(?![\d-])")

#: National Insurance number.  HMRC: neither prefix letter may be D, F, I, Q,
#: U or V; the second letter may not be O; BG, GB, KN, NK, NT, TN and ZZ are
#: never allocated.  "QQ 12 34 56 C" breaks the rule but is HMRC's own
#: specimen number, which people paste into forms, so we report it as well.
NI_RE = re.compile(
    r"\b(?:QQ|(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r"[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
DATE_RES = (
    # 14/03/2011, 14-03-11, 14.03.2011 (validated in code)
    re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-]|\.\d)"),
    # 2011-03-14 (ISO)
    re.compile(rf"(?<![\d/.-]){_YEAR}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])(?![\d/-]|\.\d)"),
    # 14 March 2011, 14th of March 2011, 14-Mar-2011
    re.compile(rf"(?i)\b{_DAY}(?:\s+of)?[\s-]+{_MONTH}\.?,?[\s-]+{_YEAR}\b"),
    # March 14, 2011 / March 14th 2011
    re.compile(rf"(?i)\b{_MONTH}\.?\s+{_DAY},?\s+{_YEAR}\b"),
)

# --------------------------------------------------------------------------
# Case and record references
# --------------------------------------------------------------------------

_REF_VALUE = r"(?P<value>[A-Z0-9]+(?:[/-][A-Z0-9]+)*)"
CASE_REF_RES = (
    # "Case ref 123456", "case no. 4471-22", "Mosaic ID 1234567", "ref: ABC/123/45"
    re.compile(
        r"(?i)\b(?:(?:case|record|client|person|child|file|referral|cp|cin|lac)\s*"
        r"(?:ref(?:erence)?|no|number|id|#)"
        r"|(?:mosaic|lcs|liquidlogic|eclipse|carefirst|azeus|paris|framework-?i)"
        r"(?:\s*(?:ref(?:erence)?|no|number|id|#))?"
        r"|ref(?:erence)?|crn|upn|uln)\b\.?\s*(?:no\.?\s*|number\s*)?[:#]?\s*"
        + _REF_VALUE
    ),
    # LCS123456, AB-12345, A123456789012
    re.compile(r"\b[A-Z]{1,5}-?\d{5,}[A-Z]?\b"),
    # CR-2024-00017, ABC/123/45
    re.compile(r"\b[A-Z]{1,5}(?:[-/]\d{2,}){2,}\b"),
    # a long bare number not already classified as something else
    re.compile(r"(?<![£$€\d.,])\b\d{6,}\b(?![.,]\d)"),
)
MIN_REF_DIGITS = 3

# --------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------

#: Capitalised at the start of a sentence, these begin a sentence rather
#: than a school's name ("Attended Kelvin Grove Primary").
SENTENCE_STARTERS = frozenset("""
at in on to from into then later now previously currently formerly recently
attended attends attending joined joins moved moves went goes started starts
left leaves since after before until during while when both and but or also
she he they her his their is was has had will would can could does did we our
it its this that there here year term summer autumn spring winter last next
""".split())
SCHOOL_ANCHOR_RE = re.compile(r"\b(?:School|Academy|College|Primary|Infants|Juniors)\b")
SCHOOL_CONNECTORS = frozenset({"of", "&", "de", "la", "C", "E"})
#: Words that describe a type of school rather than name one.  A capitalised
#: run before "School/Academy/College" made only of these is not a name.
SCHOOL_GENERIC = frozenset(fold(w) for w in """
the a an her his their its my our your this that these local mainstream current
previous former new special secondary primary junior juniors infant infants nursery
high grammar community free virtual hospital forest sixth form further education
fe boarding independent private state residential day alternative provision
supplementary saturday sunday summer holiday language driving home faith catholic
church rc ce boys girls boys' girls' mixed comprehensive academy college school
secure training pupil referral unit prep preparatory middle upper lower studio
university technical utc specialist sen send semh asd autism therapeutic
tuition online music dance drama art arts performing stage theatre bible quran
madrasa arabic polish somali tamil chinese sports football multi year key
""".split())
ST_SCHOOL_RE = re.compile(
    r"\bSt\.?[ \t]+[A-Z][\w]*(?:['’]s?)?"
    r"(?:[ \t]+(?:and|&)[ \t]+St\.?[ \t]+[A-Z]\w*(?:['’]s?)?)?"
    r"(?:[ \t]+(?:RC|R\.C\.|CE|C\.E\.|C[ \t]+of[ \t]+E|CofE|Catholic|Roman[ \t]+Catholic"
    r"|Church[ \t]+of[ \t]+England)(?:[ \t]+(?:VA|VC))?"
    r"(?:[ \t]+(?:Primary|Secondary|High|Junior|Juniors|Infant|Infants|Grammar|School|Academy|College)"
    r"(?:[ \t]+School)?)?"
    r"|[ \t]+(?:Primary|Secondary|High|Junior|Juniors|Infant|Infants|Grammar|School|Academy|College)"
    r"(?:[ \t]+School)?)\b"
)
