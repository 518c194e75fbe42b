"""What payments tells the packages above it, which it never imports (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Stripe's Checkout reported a session completed (paid or not) or paid later. Sent with the
#: session as sender and keyword arguments `metadata` (the session's, as we opened it), `paid`,
#: `amount`, `currency` and `reference` (Stripe's id of the payment). A receiver answers what
#: applying it did (an event result: events.APPLIED…) when the session paid for something of
#: its own (a merchant's statement), and None otherwise; unclaimed sessions are members'.
checkout_completed = _signals.signal("checkout-completed")
