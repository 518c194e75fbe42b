"""What the merchants package announces after a write has been flushed, so that other packages
(the directory's search documents) react in the same transaction, explicitly.

Each is sent with the session as sender and `merchant_ids`, the merchants concerned:
`merchant_changed.send(session, merchant_ids=[merchant.id])`.
"""

from blinker import Namespace

_signals = Namespace()

#: a merchant was created, or a field a customer sees changed (name, category, district,
#: address, phone, typical spend, status)
merchant_changed = _signals.signal("merchant-changed")
#: offers were created or changed (terms, dates, switched on or off, tier rates)
offers_changed = _signals.signal("offers-changed")
#: a sale was recorded in the session (sell, the generic writer), sent after its postings with
#: `purchase` (the row as a dict). A sale written at once on PostgreSQL (the purchase lane)
#: sends nothing: a package that must see a member's sales marks the member
#: (members.services.sale_watch), and the app's generic path records them instead.
purchase_recorded = _signals.signal("purchase-recorded")
#: a refund was recorded (refunds.refund_purchase), sent with `purchase` (the ORM row, its
#: refunded_amount updated), `refund` and `at`
purchase_refunded = _signals.signal("purchase-refunded")
