"""What the members package announces, so that a package above it (invitations: old brings
new) reacts in the same transaction. Each is sent with the session as sender.
"""

from blinker import Namespace

_signals = Namespace()

#: a sign-up names an invitation code: `phone` (normalized), `code` (as typed, stripped);
#: a receiver raises ValidationError (details on "ref") for a code it does not know
signup_code_given = _signals.signal("signup-code-given")
#: a member signed up through the portal: `member`, `code` (the invitation code, or None)
member_signed_up = _signals.signal("member-signed-up")
