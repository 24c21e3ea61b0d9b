"""Provider forum pages: aggregates (never single responses), the forum pack, and forum meetings."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import COUNCIL_ROLES, PROVIDER_ROLES, User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from quality import forum_meetings, forum_pack, forums
from quality.forum_forms import FilterForm, MeetingForm, MinutesForm
from quality.forum_meetings import MeetingError
from quality.models import ForumMeeting
from quality.themes import THEMES

bp = Blueprint("forums", __name__)
MEMBERS = tuple(sorted(PROVIDER_ROLES | COUNCIL_ROLES))


def visible_meeting(user: User, meeting_id: int, **_) -> ForumMeeting | None:
    meeting = db.session.get(ForumMeeting, meeting_id)
    return meeting if meeting is not None and forum_meetings.visible(user, meeting) else None


def manageable_meeting(user: User, meeting_id: int, **_) -> ForumMeeting | None:
    meeting = db.session.get(ForumMeeting, meeting_id)
    return meeting if meeting is not None and forum_meetings.manageable(user, meeting) else None


def _filters() -> tuple[FilterForm, forums.Filters | None]:
    form = FilterForm(request.args)
    if request.args and not form.validate():
        return form, None
    return form, forums.Filters(kind=form.kind.data or None, respondent_type=form.respondent.data or None,
                                period=form.period.data or "all")


def _aggregates(filters: forums.Filters):
    provider_id = current_user.organisation_id if current_user.organisation.is_provider else None
    rows = forums._rows()
    groups = forums.market(filters, viewer_provider_id=provider_id, rows=rows)
    comparison = forums.provider_comparison(provider_id, filters, rows=rows) if provider_id else None
    return groups, comparison


@bp.get("/forums")
@allow(*MEMBERS)
def forum():
    form, filters = _filters()
    if filters is None:
        return render_template("quality/forum.html", form=form, groups=[], comparison=None, themes=THEMES,
                               query=""), 400
    groups, comparison = _aggregates(filters)
    file = tabular.maybe_download_table(request, _forum_tables(groups, comparison), "provider-forum")
    if file:
        return file
    return render_template("quality/forum.html", form=form, groups=groups, comparison=comparison, themes=THEMES,
                           filters=filters, query=request.query_string.decode(), suppressed=forums.SUPPRESSED,
                           meetings=forum_meetings.meetings_for(current_user, limit=3))


@bp.get("/forums/pack.<fmt>")
@allow(*MEMBERS)
def pack(fmt: str):
    form, filters = _filters()
    if fmt not in ("csv", "pdf") or filters is None:
        return render_template("quality/forum.html", form=form, groups=[], comparison=None, themes=THEMES,
                               query=""), 400
    groups, comparison = _aggregates(filters)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    if fmt == "csv":
        data, mimetype = forum_pack.to_csv(filters, groups, comparison), "text/csv"
    else:
        data, mimetype = forum_pack.to_pdf(filters, groups, comparison), "application/pdf"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="forum-pack-{stamp}.{fmt}"', "Cache-Control": "private, no-store"})


@bp.get("/forums/meetings")
@allow(*MEMBERS)
def meetings():
    file = tabular.maybe_download(request, ("Meeting", "When", "Where", "Minutes"), lambda: [
        (m.title, m.meets_at, m.location or "To be confirmed", "Attached" if m.minutes_key else "Not yet")
        for m in forum_meetings.meetings_for(current_user)], "forum-meetings")
    if file:
        return file
    rows, total, page = page_of(forum_meetings.meetings_query(current_user), page_number())
    return render_template("quality/forum_meetings.html", meetings=rows, page=page, total=total,
                           page_size=PAGE_SIZE, organiser=current_user.has_role(*forum_meetings.ORGANISERS))


@bp.route("/forums/meetings/new", methods=["GET", "POST"])
@allow(*forum_meetings.ORGANISERS)
def meetings_new():
    form = MeetingForm()
    options = forum_meetings.councils_dps(current_user)
    form.dps.choices = [SelectChoice(str(d.id), d.name) for d in options] or [SelectChoice("", "No DPS")]
    if form.validate_on_submit():
        try:
            meeting = forum_meetings.schedule(
                current_user, title=form.title.data, when=forum_meetings.meets_at(form.day.data, form.start),
                location=form.location.data, agenda=form.agenda.data,
                dps_id=int(form.dps.data) if form.dps.data else None, agenda_file=form.file_bytes,
                agenda_filename=form.agenda_file.data.filename if form.file_bytes else None)
        except MeetingError as exc:
            db.session.rollback()
            form.title.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Forum meeting '{meeting.title}' scheduled.", "success")
            return redirect(url_for("forums.meetings_detail", meeting_id=meeting.id))
    return render_template("quality/forum_meeting_form.html", form=form), (200 if not form.errors else 400)


@bp.get("/forums/meetings/<int:meeting_id>")
@allow(*MEMBERS, owner=visible_meeting)
def meetings_detail(meeting_id: int):
    meeting = owned()
    return render_template("quality/forum_meeting.html", meeting=meeting,
                           agenda_link=forum_meetings.link(meeting.agenda_key, meeting.agenda_filename),
                           minutes_link=forum_meetings.link(meeting.minutes_key, meeting.minutes_filename),
                           manage=forum_meetings.manageable(current_user, meeting), form=MinutesForm())


@bp.post("/forums/meetings/<int:meeting_id>/minutes")
@allow(*forum_meetings.ORGANISERS, owner=manageable_meeting)
def meetings_minutes(meeting_id: int):
    meeting = owned()
    form = MinutesForm()
    if form.validate_on_submit():
        try:
            forum_meetings.attach_minutes(current_user, meeting, form.file_bytes, form.file.data.filename)
        except MeetingError as exc:
            db.session.rollback()
            form.file.errors = [str(exc)]
        else:
            db.commit()
            flash("Minutes attached.", "success")
            return redirect(url_for("forums.meetings_detail", meeting_id=meeting.id))
    return render_template("quality/forum_meeting.html", meeting=meeting, form=form, manage=True,
                           agenda_link=forum_meetings.link(meeting.agenda_key, meeting.agenda_filename),
                           minutes_link=forum_meetings.link(meeting.minutes_key, meeting.minutes_filename)), 400


@bp.context_processor
def _london() -> dict:
    return {"london": forum_meetings.LONDON}


def _figure(figure, attr: str = "mean"):
    """A figure as the page shows it: the number to one decimal place, or the words when fewer than 5 answered."""
    return round(getattr(figure, attr), 1) if figure.shown else forums.SUPPRESSED


def _forum_tables(groups, comparison) -> dict:
    """The forum page's tables (?table=themes|comparison): aggregates only, each suppressed figure as its words."""
    tables = {"themes": (("Kind of home", "Responses", "Theme", "Mean score", "Median"), lambda: [
        (g.label, g.responses.n if g.responses.shown else forums.SUPPRESSED, THEMES[code], _figure(f),
         _figure(f, "median")) for g in groups for code, f in g.themes.items()])}
    if comparison:
        def rows():
            out = [(THEMES[code], _figure(pair["own"]), _figure(pair["own"], "median"),
                    _figure(pair["market"], "median")) for code, pair in comparison["themes"].items()]
            own, market = comparison["own_responses"], comparison["market_responses"]
            count = lambda f: f.n if f.shown else forums.SUPPRESSED  # noqa: E731
            return out + [("Responses", count(own), None, count(market))]
        tables["comparison"] = (("Theme", "Your mean score", "Your median", "Market median"), rows)
    return tables
