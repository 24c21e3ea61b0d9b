"""The provider's outcome page for a referral it was invited to (blueprint "award")."""
from __future__ import annotations

from flask import render_template

from portal.core.access import allow, owned
from tendering import award as awards
from tendering import invitations
from tendering.award_views import bp
from tendering.models import OUTCOMES

PROVIDER = ("provider_admin", "provider_staff")


def own_invitation(user, referral_id: int, **_):
    return invitations.invitation_for(user, referral_id)


@bp.get("/invitations/<int:referral_id>/outcome")
@allow(*PROVIDER, owner=own_invitation)
def outcome(referral_id: int):
    row = owned()
    result = awards.outcome_for(row)
    # The council's contact details only for the winner, and only after the award.
    council = row.referral.council if result.state == "successful" else None
    return render_template("tendering/outcome.html", row=row, referral=row.referral, result=result,
                           council=council, outcomes=OUTCOMES)
