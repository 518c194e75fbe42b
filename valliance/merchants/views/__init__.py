"""The merchants' pages: the merchant portal (one blueprint, `portal.bp`, with its areas in
sales, shop and offers), the application to join, the alliance's offers for members and
visitors, and the cashiers' till."""
