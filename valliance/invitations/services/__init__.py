"""Old brings new: one module per verb (codes, enlisting, rewarding, clawing back, flags,
reads); the receivers of members' and merchants' signals are in `invitations.receivers`."""
