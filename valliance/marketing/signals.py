"""What the campaign engine announces, for programmes above it (birthday care) to react to.

`members_reached` is sent by a run for each batch, inside the batch's transaction, with the
campaign as sender and `session`, `reached` ([(delivery id, member id)] of the members sent
or deferred in this batch), `round` and `now`: a receiver gives its gifts there (flushing,
never committing), so a gift is given exactly when, and as often as, the member is reached.
"""

from blinker import Namespace

_signals = Namespace()

members_reached = _signals.signal("campaign-members-reached")
