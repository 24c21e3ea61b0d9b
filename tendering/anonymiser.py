"""Find things in free text that could identify a child.

A needs specification is sent to care providers, so it must be anonymised.
:func:`scan` looks for names, full postcodes, phone numbers, email
addresses, full dates, NHS numbers, National Insurance numbers, case
references and named schools.  Publishing should be blocked while any field
has a finding.

Pure Python: no Flask, no database and no network.  Names come from the
committed gazetteer in ``tendering/data/``; the patterns and stoplists are in
:mod:`tendering.anonymiser_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers

from tendering import anonymiser_rules as rules
from tendering.anonymiser_rules import fold

KINDS = (
    "name", "postcode", "phone", "email", "date",
    "nhs_number", "ni_number", "case_reference", "school",
)
# When two findings overlap the longer one wins; on a tie, the earlier kind here.
_PRIORITY = {kind: rank for rank, kind in enumerate((
    "email", "nhs_number", "ni_number", "postcode", "date",
    "phone", "case_reference", "school", "name",
))}


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    start: int
    end: int

    def message(self) -> str:
        """The error message for a GOV.UK error summary (UK English)."""
        quoted = f'"{self.text}"'
        if self.kind == "postcode":
            district = self.text.replace(" ", "")[:-3].upper()
            return (f"Remove the full postcode {quoted} \u2013 "
                    f'a district such as "{district}" is fine')
        if self.kind == "date":
            return (f"Remove the date {quoted} \u2013 "
                    "give an age or a month and year instead")
        if self.kind == "school":
            return (f"Remove the name of the school {quoted} \u2013 "
                    'describe the type of school instead, such as "a mainstream secondary school"')
        label = {
            "name": "name",
            "phone": "phone number",
            "email": "email address",
            "nhs_number": "NHS number",
            "ni_number": "National Insurance number",
            "case_reference": "case reference",
        }[self.kind]
        return f"Remove the {label} {quoted}"


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def scan(text: str) -> list[Finding]:
    """Return every finding in ``text``, sorted by position, never overlapping."""
    if not text:
        return []
    candidates: list[Finding] = []
    for detector in _DETECTORS:
        candidates.extend(detector(text))
    chosen: list[Finding] = []
    for finding in sorted(
        candidates, key=lambda f: (f.start - f.end, _PRIORITY[f.kind], f.start)
    ):
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


def scan_fields(fields: dict[str, str]) -> dict[str, list[Finding]]:
    """Scan several form fields; only fields with findings are returned."""
    results = {}
    for name, value in fields.items():
        findings = scan(value or "")
        if findings:
            results[name] = findings
    return results


def scan_lines(stream: Iterable[str | bytes]) -> Iterator[dict]:
    """Scan a text stream line by line (for ``flask --app portal pii scan``).

    Yields ``{"line": N, "findings": [{"kind": ..., "text": ...}]}`` for every
    line, numbered from 1, with an empty list when the line is clean.
    """
    for number, line in enumerate(stream, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        yield {
            "line": number,
            "findings": [
                {"kind": f.kind, "text": f.text} for f in scan(line.rstrip("\r\n"))
            ],
        }


# --------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------

def _finding(kind: str, text: str, start: int, end: int) -> Finding:
    return Finding(kind, text[start:end], start, end)


def _emails(text: str) -> Iterator[Finding]:
    for m in rules.EMAIL_RE.finditer(text):
        yield _finding("email", text, m.start(), m.end())


def _postcodes(text: str) -> Iterator[Finding]:
    for m in rules.POSTCODE_RE.finditer(text):
        inward = m.group("inward")
        # "M25 2nd" is not a postcode: ordinal suffixes only count in capitals.
        if inward[1:].lower() in rules.ORDINAL_SUFFIX and not inward[1:].isupper():
            continue
        yield _finding("postcode", text, m.start(), m.end())


def _phones(text: str) -> Iterator[Finding]:
    for m in rules.UK_PHONE_RE.finditer(text):
        try:
            number = phonenumbers.parse(m.group(), "GB")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            yield _finding("phone", text, m.start(), m.end())
    # Anything else phonenumbers itself is sure about (e.g. +234 803 123 4567).
    for m in phonenumbers.PhoneNumberMatcher(text, "GB", phonenumbers.Leniency.VALID):
        yield _finding("phone", text, m.start, m.end)


def nhs_checksum_ok(digits: str) -> bool:
    """NHS number modulus-11 check (10 digits, weights 10 down to 2)."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_numbers(text: str) -> Iterator[Finding]:
    for m in rules.NHS_RE.finditer(text):
        if nhs_checksum_ok(m.group().replace(" ", "").replace("-", "")):
            yield _finding("nhs_number", text, m.start(), m.end())


def _ni_numbers(text: str) -> Iterator[Finding]:
    for m in rules.NI_RE.finditer(text):
        yield _finding("ni_number", text, m.start(), m.end())


def _valid_numeric_date(day: str, month: str, year: str) -> bool:
    a, b = int(day), int(month)
    if len(year) == 4 and not 1900 <= int(year) <= 2099:
        return False
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _dates(text: str) -> Iterator[Finding]:
    numeric, *others = rules.DATE_RES
    for m in numeric.finditer(text):
        if _valid_numeric_date(m.group(1), m.group(3), m.group(4)):
            yield _finding("date", text, m.start(), m.end())
    for pattern in others:
        for m in pattern.finditer(text):
            yield _finding("date", text, m.start(), m.end())


def _case_references(text: str) -> Iterator[Finding]:
    keyword, *shapes = rules.CASE_REF_RES
    for m in keyword.finditer(text):
        if sum(ch.isdigit() for ch in m.group("value")) >= rules.MIN_REF_DIGITS:
            yield _finding("case_reference", text, m.start(), m.end())
    for pattern in shapes:
        for m in pattern.finditer(text):
            yield _finding("case_reference", text, m.start(), m.end())


def _schools(text: str) -> Iterator[Finding]:
    for m in rules.ST_SCHOOL_RE.finditer(text):
        yield _finding("school", text, m.start(), m.end())
    for m in rules.SCHOOL_ANCHOR_RE.finditer(text):
        if text[m.end():m.end() + 9] == " Hospital":  # King's College Hospital
            continue
        start = _school_name_start(text, m.start())
        if start is not None:
            yield _finding("school", text, start, m.end())


def _school_name_start(text: str, anchor: int) -> int | None:
    """Walk back over the capitalised words before "School" / "Academy"."""
    words: list[tuple[int, str]] = []
    pos = anchor
    while len(words) < 7:
        gap_end = pos
        while pos > 0 and text[pos - 1] in " \t":
            pos -= 1
        if pos == gap_end or pos == 0:
            break
        end = pos
        if text[pos - 1] == "." and text[max(0, pos - 3):pos] != "St.":
            break  # the end of the previous sentence
        while pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "'’.&-"):
            pos -= 1
        word = text[pos:end].rstrip(".")
        if not word or not (word[0].isupper() or word in rules.SCHOOL_CONNECTORS):
            break
        words.append((pos, word))
    # Drop connectors and determiners at the front ("the", "Her", "A").
    while words and (words[-1][1] in rules.SCHOOL_CONNECTORS
                     or fold(words[-1][1]) in rules.SENTENCE_STARTERS
                     or fold(words[-1][1]) in {"the", "a", "an", "my", "your"}):
        words.pop()
    if not words or all(fold(w.rstrip("'’")) in rules.SCHOOL_GENERIC for _, w in words):
        return None
    return words[-1][0]


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

@dataclass
class _Token:
    start: int
    end: int
    word: str  # without any possessive 's
    possessive: bool
    tier: str | None  # "strong", "soft", "context" or None (not a name)
    first: bool
    surname: bool
    not_name: bool


_TIER_RANK = {None: 0, "context": 1, "soft": 2, "strong": 3}


def _classify(word: str, whole: str) -> tuple[str | None, bool, bool, bool]:
    g = rules.gazetteer()
    key = fold(word)
    not_name = key in g.not_names or fold(whole) in g.not_names
    first, surname = key in g.first_names, key in g.surnames
    if "-" in word and not (first or surname):
        # Smith-Jones, Al-Hassan: as strong as the strongest part (Spider-Man is not).
        parts = [_classify(p, p) for p in word.split("-")]
        tier = max((p[0] for p in parts), key=_TIER_RANK.__getitem__)
        return (tier, any(p[1] for p in parts), any(p[2] for p in parts),
                not_name or all(p[3] for p in parts))
    if not (first or surname):
        return None, False, False, not_name
    if not_name or key in rules.CONTEXT_ONLY_NAMES or len(word) <= 2:
        return "context", first, surname, not_name
    if key in g.name_words:
        return ("soft" if first else "context"), first, surname, not_name
    return "strong", first, surname, not_name


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for m in rules.WORD_RE.finditer(text):
        whole = m.group()
        if not whole[0].isupper() or (len(whole) > 1 and whole.isupper()):
            continue
        word = rules.POSSESSIVE_RE.sub("", whole)
        tier, first, surname, not_name = _classify(word, whole)
        if rules.SAINT_RE.search(text, max(0, m.start() - 10), m.start()):
            tier = None  # St Thomas' Hospital, St George's Church
        tokens.append(_Token(m.start(), m.start() + len(word), word,
                             word != whole, tier, first, surname, not_name))
    return tokens


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start]
    stripped = before.rstrip(" \t\"'“‘([*•–-")
    return not stripped or stripped[-1] in ".!?:;\n" or "\n" in before[len(stripped):]


def _next_word(text: str, end: int) -> str:
    rest = text[end:end + 30].split()
    return rest[0].strip(".,;:!?").lower() if rest else ""


def _runs(tokens: list[_Token], text: str) -> list[list[_Token]]:
    """Group adjacent capitalised words separated only by spaces."""
    runs: list[list[_Token]] = []
    for token in tokens:
        if (runs and not runs[-1][-1].possessive
                and text[runs[-1][-1].end:token.start] in (" ", "  ", "\t")):
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _names(text: str) -> Iterator[Finding]:
    tokens = _tokens(text)
    by_start = {t.start: t for t in tokens}
    # 1. Context: a title or "called / known as / her name is" before the words.
    for pattern, keep_prefix in ((rules.TITLE_RE, True), (rules.INTRODUCER_RE, False)):
        for m in pattern.finditer(text):
            first = by_start.get(m.end())
            if first is None or (first.tier is None and first.not_name):
                continue
            run = [first]
            for t in tokens[tokens.index(first) + 1:]:
                if (len(run) == 3 or (t.tier is None and t.not_name) or run[-1].possessive
                        or text[run[-1].end:t.start] not in (" ", "\t")):
                    break
                run.append(t)
            yield _finding("name", text, m.start() if keep_prefix else first.start, run[-1].end)
    # 2. Gazetteer: runs of name words, and single names on their own.
    for run in _runs(tokens, text):
        for group in _split_non_names(run):
            if _is_name(group, text):
                yield _finding("name", text, group[0].start, group[-1].end)


def _split_non_names(run: list[_Token]) -> Iterator[list[_Token]]:
    group: list[_Token] = []
    for token in run:
        if token.tier is None:
            if group:
                yield group
            group = []
        else:
            group.append(token)
    if group:
        yield group


def _is_name(group: list[_Token], text: str) -> bool:
    tiers = {t.tier for t in group}
    if len(group) > 1:
        if tiers & {"strong", "soft"}:
            return True
        head, tail = group[0], group[-1]
        return head.first and tail.surname and not (head.not_name and tail.not_name)
    token = group[0]
    if token.tier == "strong":
        return True
    if token.tier != "soft":
        return False
    if not _sentence_initial(text, token.start):
        return True
    return token.possessive or _next_word(text, token.end) in rules.SUBJECT_VERBS


_DETECTORS = (
    _emails, _nhs_numbers, _ni_numbers, _postcodes, _dates,
    _phones, _case_references, _schools, _names,
)
