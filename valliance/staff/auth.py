"""Sign-in for alliance staff, through the shared Flask-Login manager (valliance.sign_in)."""

from flask_login import current_user

from valliance import sign_in
from valliance.staff.models import StaffUser


class StaffSignedIn(sign_in.SignedInUser):
    """The signed-in staff user, as Flask-Login sees it; a disabled account is signed out."""

    kind = "staff"
    is_staff = True

    @property
    def staff(self) -> StaffUser:
        return self.record


def register_sign_in() -> None:
    """Load staff from the session; anonymous visitors of staff pages go to the staff login."""
    sign_in.register("staff", StaffUser, StaffSignedIn, "staff.login", blueprint="staff")


def current_staff() -> StaffUser:
    return current_user.staff
