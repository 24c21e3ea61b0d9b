"""Every state transition in the product code writes an audit row (issue 7 item 9; immutability is in test_audit.py).

(a) A static sweep: every assignment to a lifecycle column (`.status`, `.suspended`, `.locked_at`, …, including
`update(...).values(status=...)`) in portal/, tendering/ and quality/ must sit in a function on the reviewed
AUDITED list below, which names the audit actions that function's `record(...)` calls write — checked against the
code, so a list entry cannot drift — or on the short NOT_AUDITED list with the reason. A new status change anywhere
else fails this test until someone decides how it is audited.
(b) Each guarded `transition()` is run for every move its ALLOWED table permits, and must add exactly one audit row
with the right action, object, actor and before/after status.
"""
from __future__ import annotations

import ast
import functools
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import admissions
from portal.core import db
from portal.core.models import AuditEvent, Organisation
from quality import actions, visits
from tendering import lifecycle
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "tendering", "quality")
# Columns whose change is a change of state (the status column and the flags and stamps that act as one).
LIFECYCLE = frozenset({
    "status", "comment_status", "suspended", "locked_at", "declined_at", "submitted_at", "withdrawn_at",
    "quality_locked_at", "price_revealed_at", "totp_enabled_at", "active", "lifted_at", "closed_at", "cancelled_at",
    "decided_at", "completed_at", "report_issued_at", "responded_at", "moderated_at", "published_at", "awarded_at",
    "placed_at", "ended_at",
})

# Reviewed: function -> the audit actions its record() calls write ("*" stands for an f-string's placeholder).
AUDITED = {
    "portal/accounts.py:confirm": {"user.confirmed"},
    "portal/admissions.py:transition": {"application.*"},
    "portal/core/auth.py:register_failure": {"user.locked"},
    "portal/core/auth.py:unlock": {"user.unlocked"},
    "portal/core/auth.py:set_password": {"user.password_set"},
    "portal/core/auth.py:create_user": {"user.created"},
    "portal/core/services.py:remove_user": {"user.removed"},
    "portal/documents.py:upload_document": {"document.superseded", "document.uploaded"},
    "portal/documents.py:remove_document": {"document.deleted"},
    "portal/ofsted.py:apply_rows": {"setting.ofsted_updated"},
    "portal/ofsted.py:run_import": {"ofsted_import.failed", "ofsted_import.completed"},
    "portal/services.py:close_setting": {"setting.closed"},
    "portal/two_factor.py:enable": {"user.two_factor_enabled"},
    "portal/two_factor.py:disable": {"user.two_factor_disabled"},
    "portal/two_factor.py:enrol_for_demo": {"user.two_factor_enabled"},
    "tendering/evaluation.py:submit_scores": {"referral.panel_scores_submitted"},
    "tendering/evaluation.py:lock_quality": {"referral.quality_locked"},
    "tendering/invitations.py:decline": {"referral.declined"},
    "tendering/lifecycle.py:transition": {"referral.*"},
    "tendering/proposals.py:save": {"proposal.submitted", "proposal.saved"},
    "tendering/proposals.py:withdraw": {"proposal.withdrawn"},
    "quality/actions.py:transition": {"action.*"},
    "quality/compliance.py:_store": {"compliance.changed"},
    "quality/compliance.py:_act_on_setting": {"setting.compliance_suspended", "setting.compliance_reinstated"},
    "quality/compliance.py:lift": {"setting.suspension_lifted", "compliance.lifted"},
    "quality/feedback.py:moderate": {"feedback.comment_*"},
    "quality/returns.py:submit_return": {"monthly_return.corrected", "monthly_return.submitted"},
    "quality/standards.py:set_active": {"standard.activated", "standard.deactivated"},
    "quality/visits.py:transition": {"visit.*"},
}
# Reviewed: machinery whose own row is the record, not a change anyone makes to the service's objects.
NOT_AUDITED = {
    "portal/core/jobs.py:execute_job": "job_run bookkeeping (claimed, succeeded, failed, retrying): /admin/jobs",
    "portal/core/jobs.py:retry_failed": "job_run bookkeeping; the admin's retry is audited by services.retry_job",
    "portal/core/jobs.py:sweep": "the scheduler taking back a dead worker's job_run",
    "portal/core/mail.py:send_email": "the email_message row is the delivery record",
    "portal/ofsted.py:_claim": "a worker claiming a queued import; its outcome is audited by run_import",
}
# The demo seed writes history directly (it is never run against live data).
SKIP_MODULES = ("seed",)


@pytest.fixture(scope="module")
def app(database_url, tmp_path_factory):
    """One app for the module's ~30 transitions (building one per test costs more than the test)."""
    from tests.conftest import make_app

    application = make_app(database_url, tmp_path_factory.mktemp("audit_coverage"))
    yield application
    application.extensions["homefinder.engine"].dispose()


@functools.cache
def _parsed() -> tuple[tuple[str, ast.Module], ...]:
    return tuple((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
                 for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")))


def _functions(tree: ast.AST):
    """(qualified name, node) of every function, outermost first."""
    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                yield from walk(child, name + ".")
            else:
                yield from walk(child, prefix)
    yield from walk(tree, "")


def _targets(node: ast.AST):
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    else:
        yield node


def _state_changes(fn: ast.AST) -> list[tuple[int, str]]:
    """(line, attribute) of each lifecycle change made directly in fn (not in functions nested inside it)."""
    found = []
    for node in _own_nodes(fn):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _targets(target)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        found += [(node.lineno, t.attr) for t in targets if isinstance(t, ast.Attribute) and t.attr in LIFECYCLE]
        if isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Name) and callee.id == "setattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value in LIFECYCLE:
                found.append((node.lineno, node.args[1].value))
            if isinstance(callee, ast.Attribute) and callee.attr == "values":  # update(Model).values(status=...)
                found += [(node.lineno, k.arg) for k in node.keywords if k.arg in LIFECYCLE]
    return found


def _own_nodes(fn: ast.AST):
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _action_patterns(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.JoinedStr):
        return {"".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)}
    if isinstance(node, ast.IfExp):
        return _action_patterns(node.body) | _action_patterns(node.orelse)
    return {f"<not a literal: {ast.unparse(node)}>"}


def _recorded_actions(fn: ast.AST) -> set[str]:
    actions_ = set()
    for node in _own_nodes(fn):
        if isinstance(node, ast.Call) and node.args and (
                (isinstance(node.func, ast.Name) and node.func.id == "record")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "record")):
            actions_ |= _action_patterns(node.args[0])
    return actions_


def _scan() -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """{function key: ["path:line attr", ...]} for every lifecycle change, and the actions each function records."""
    changes: dict[str, list[str]] = {}
    recorded: dict[str, set[str]] = {}
    for rel, tree in _parsed():
        if Path(rel).stem.startswith(SKIP_MODULES):
            continue
        for name, fn in _functions(tree):
            key = f"{rel}:{name}"
            recorded[key] = _recorded_actions(fn)
            for line, attr in _state_changes(fn):
                changes.setdefault(key, []).append(f"{rel}:{line} .{attr}")
    return changes, recorded


def test_every_state_change_is_in_a_reviewed_function_that_writes_its_audit_row():
    changes, recorded = _scan()
    unreviewed = {key: where for key, where in changes.items() if key not in AUDITED and key not in NOT_AUDITED}
    assert not unreviewed, (
        "These functions change a lifecycle column but are not on the reviewed list in tests/test_audit_coverage.py. "
        "Write the audit row with portal.core.audit.record in the same transaction and add the function to AUDITED "
        f"(or, for machinery only, to NOT_AUDITED with the reason): {unreviewed}")
    stale = sorted(key for key in (*AUDITED, *NOT_AUDITED) if key not in changes)
    assert not stale, f"these reviewed functions no longer change a lifecycle column; remove them from the list: {stale}"
    wrong = {key: {"listed": sorted(expected), "record() calls": sorted(recorded[key])}
             for key, expected in AUDITED.items() if recorded[key] != expected}
    assert not wrong, f"the audit actions these functions write differ from the reviewed list: {wrong}"
    silent = sorted(key for key in NOT_AUDITED if recorded[key])
    assert not silent, f"these functions do write audit rows; move them to AUDITED: {silent}"


def test_the_sweep_finds_a_new_unaudited_status_change():
    """The scanner itself: a status change hidden in a tuple, a setattr or an UPDATE is found; an audit is read."""
    tree = ast.parse(
        "def a(x):\n    x.note, x.status = 'n', 'closed'\n"
        "def b(x):\n    setattr(x, 'suspended', True)\n"
        "def c(s):\n    s.execute(update(T).values(status='gone'))\n"
        "def d(x):\n    x.status = 'ok'\n    record(f'thing.{x.status}', 'thing', 1)\n"
        "def e(x):\n    x.name = 'not a state'\n")
    found = {name: _state_changes(fn) for name, fn in _functions(tree)}
    assert found == {"a": [(2, "status")], "b": [(4, "suspended")], "c": [(6, "status")], "d": [(8, "status")],
                     "e": []}
    assert _recorded_actions(dict(_functions(tree))["d"]) == {"thing.*"}


# --- (b) every allowed move of every guarded transition() writes exactly one audit row -----------------

def _referral(from_status, _to_status):
    council = factories.organisation("council")
    obj = factories.referral(council, status=from_status)
    return obj, factories.user("placements_officer", org=council), {}


def _application(from_status, to_status):
    council = factories.organisation("council")
    provider = factories.organisation("provider")
    obj = factories.application(factories.dps(council), provider, status=from_status)
    if to_status == "submitted":  # only the provider submits; the DPS manager makes every other move
        actor = factories.user("provider_admin", org=provider)
    else:
        actor = factories.user("dps_manager", org=council)
    return obj, actor, {"reason": "Recorded for the audit coverage test"}


def _visit(from_status, to_status):
    factories.quality_standards()
    council = factories.organisation("council")
    obj = factories.monitoring_visit(council=council, status=from_status)
    if to_status == "completed":
        from quality.models import VisitJudgement
        obj.visited_on, obj.overall_judgement = obj.planned_for, "good"
        obj.judgements = [VisitJudgement(standard_id=s.id, judgement="met", evidence="Seen")
                          for s in visits.standards_for(obj.setting)]
        db.session.flush()
    return obj, factories.user("qa_officer", org=council), {"reason": "Recorded for the audit coverage test"}


def _action(from_status, to_status):
    council = factories.organisation("council")
    obj = factories.qa_action(council=council, status=from_status, due_on=date(2020, 1, 6))
    if to_status == "provider_responded":
        actor = factories.user("provider_admin", org=db.session.get(Organisation, obj.provider_id))
    elif to_status == "overdue":
        actor = None  # the hourly job
    else:
        actor = factories.user("qa_officer", org=council)
    return obj, actor, {"reason": "Recorded for the audit coverage test"}


MACHINES = {
    "referral": (lifecycle.transition, lifecycle.ALLOWED, _referral, "referral", "referral"),
    "application": (admissions.transition, admissions.ALLOWED, _application, "dps_application", "application"),
    "visit": (visits.transition, visits.ALLOWED, _visit, "monitoring_visit", "visit"),
    "action": (actions.transition, actions.ALLOWED, _action, "qa_action", "action"),
}
MOVES = [(machine, before, after) for machine, (_fn, allowed, *_rest) in MACHINES.items()
         for before, targets in allowed.items() for after in sorted(targets)]


def test_every_transition_function_is_swept():
    """The four modules with a guarded transition() are the only ones: a fifth must join MACHINES."""
    modules = {rel for rel, tree in _parsed()
               if any(isinstance(n, ast.FunctionDef) and n.name == "transition" for n in tree.body)}
    assert modules == {"tendering/lifecycle.py", "portal/admissions.py", "quality/visits.py", "quality/actions.py"}


@pytest.mark.parametrize("machine, before, after", MOVES, ids=[f"{m}:{b}->{a}" for m, b, a in MOVES])
def test_each_allowed_transition_writes_one_audit_row(ctx, machine, before, after):
    transition, _allowed, build, object_type, prefix = MACHINES[machine]
    obj, actor, kwargs = build(before, after)
    db.commit()
    last = db.session.scalar(select(func.max(AuditEvent.id))) or 0

    transition(obj, after, actor, **kwargs)
    db.commit()

    # Rows about this object (a move can set off other audited changes, e.g. compliance re-evaluating a provider).
    new = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.id > last, AuditEvent.object_type == object_type, AuditEvent.object_id == str(obj.id))))
    assert [(e.action, e.object_type, e.object_id) for e in new] == [(f"{prefix}.{after}", object_type, str(obj.id))]
    event = new[0]
    assert event.before == {"status": before}
    assert event.after["status"] == after and event.after.get("reason") == kwargs.get("reason")
    assert event.actor_id == (actor.id if actor else None)
    db.session.expire_all()
    assert db.session.get(type(obj), obj.id).status == after
