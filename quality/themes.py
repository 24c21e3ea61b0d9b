"""Feedback themes (DESIGN.md "Quality — Feedback") and how each is worded for each respondent.

Children asked that their home be called "my home", never "a placement": every word a child reads
comes from CHILD below. Adults answer the same six themes, worded for what they see.
"""
from __future__ import annotations

THEMES: dict[str, str] = {  # code -> short label for aggregate tables and the forum pack
    "safe": "Feeling safe",
    "noticed": "Adults notice and take an interest",
    "culture": "Culture, religion and food respected",
    "who_cares": "Knowing who will look after them",
    "independence": "Help to get ready for living independently",
    "feels_like_home": "Feels like home",
}

CHILD = {
    "safe": "I feel safe",
    "noticed": "The adults notice me and take an interest in me",
    "culture": "My culture, religion and food are respected",
    "who_cares": "I know who will be looking after me",
    "independence": "I am helped to get ready for living on my own",
    "feels_like_home": "This feels like my home",
}
CARER = {
    "safe": "The child or young person is safe here",
    "noticed": "Adults here notice the child and take an interest in them",
    "culture": "The child's culture, religion and food are respected",
    "who_cares": "The child knows who will be looking after them",
    "independence": "The child is helped to prepare for independence",
    "feels_like_home": "The child is settled and this feels like their home",
}
PROFESSIONAL = {
    "safe": "The child or young person is kept safe",
    "noticed": "Staff or carers notice the child and show an interest in them",
    "culture": "The child's identity, culture, religion and diet are respected",
    "who_cares": "The child knows who will be caring for them, and changes are explained",
    "independence": "The child is helped to develop skills for independence",
    "feels_like_home": "The child experiences this as their home",
}
STATEMENTS = {"child": CHILD, "carer": CARER, "social_worker": PROFESSIONAL, "iro": PROFESSIONAL}

# The 1–5 scale, labelled in words (5 is best).
CHILD_SCALE = {5: "Always", 4: "Most of the time", 3: "Sometimes", 2: "Not often", 1: "Never"}
ADULT_SCALE = {5: "Strongly agree", 4: "Agree", 3: "Neither agree nor disagree", 2: "Disagree",
               1: "Strongly disagree"}

PAGE = {
    "child": {
        "title": "Tell us about your home",
        "intro": "We want to know what it is like to live in your home. There are no right or wrong answers. "
                 "The people who run your home will not see your name.",
        "comment": "Is there anything else you want to tell us about your home?",
        "comment_hint": "You do not have to write anything. Please do not write anyone's name, address or phone "
                        "number.",
        "submit": "Send my answers",
        "thanks": "Thank you for telling us about your home",
        "thanks_body": "Your answers help make homes better for every young person. If you are worried about "
                       "anything, talk to your social worker or an adult you trust.",
    },
    "adult": {
        "title": "Feedback about a child's home",
        "intro": "Tell us how well this home meets the child's needs. Answers are combined with others before "
                 "providers see them, and comments are checked before anyone else reads them.",
        "comment": "Anything else you want to tell us (optional)",
        "comment_hint": "Do not include names, addresses, dates of birth or case references.",
        "submit": "Send feedback",
        "thanks": "Thank you for your feedback",
        "thanks_body": "Your answers will be combined with other feedback and used by quality assurance "
                       "officers and provider forums.",
    },
}


def statements(respondent_type: str) -> dict[str, str]:
    return STATEMENTS[respondent_type]


def scale(respondent_type: str) -> dict[int, str]:
    return CHILD_SCALE if respondent_type == "child" else ADULT_SCALE


def page(respondent_type: str) -> dict[str, str]:
    return PAGE["child" if respondent_type == "child" else "adult"]
