"""`flask ledger verify`: prove the ledger's invariants from the rows themselves."""

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from valliance.points.rules import (
    ALLIANCE_BILLS,
    ALLIANCE_BREAKAGE,
    ALLIANCE_CLAWBACK,
    ISSUING_KINDS,
    MEMBER,
    MERCHANT_REDEEMED,
)

#: each check lists the ids of the rows that break it (empty = holds)
CHECKS: dict[str, str] = {
    "every transfer has one debit and one credit entry matching it": """
        SELECT t.id FROM transfers t
        LEFT JOIN (SELECT transfer_id, COUNT(*) AS n,
                          SUM(CASE WHEN amount < 0 THEN account_id END) AS debit,
                          SUM(CASE WHEN amount < 0 THEN -amount END) AS debited,
                          SUM(CASE WHEN amount > 0 THEN account_id END) AS credit,
                          SUM(CASE WHEN amount > 0 THEN amount END) AS credited
                   FROM entries GROUP BY transfer_id) e ON e.transfer_id = t.id
        WHERE e.n IS NULL OR e.n <> 2 OR e.debit IS NULL OR e.credit IS NULL
           OR e.debit <> t.debit_account_id OR e.credit <> t.credit_account_id
           OR e.debited <> t.amount OR e.credited <> t.amount""",
    "every transfer and entry names an existing account": """
        SELECT t.id FROM transfers t
        LEFT JOIN accounts d ON d.id = t.debit_account_id
        LEFT JOIN accounts c ON c.id = t.credit_account_id
        WHERE d.id IS NULL OR c.id IS NULL
        UNION ALL
        SELECT e.transfer_id FROM entries e LEFT JOIN accounts a ON a.id = e.account_id
        WHERE a.id IS NULL""",
    "no entry without its transfer": """
        SELECT e.id FROM entries e LEFT JOIN transfers t ON t.id = e.transfer_id
        WHERE t.id IS NULL""",
    "every member's stored totals equal the sum of its entries": """
        SELECT a.id FROM accounts a
        LEFT JOIN (SELECT account_id,
                          SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS cr,
                          SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS dr
                   FROM entries GROUP BY account_id) s ON s.account_id = a.id
        WHERE a.no_overdraft AND (a.credits_posted <> COALESCE(s.cr, 0)
                                  OR a.debits_posted <> COALESCE(s.dr, 0))""",
    "accounts without running totals keep none": """
        SELECT id FROM accounts WHERE NOT no_overdraft
          AND (credits_posted <> 0 OR debits_posted <> 0 OR owed <> 0)""",
    "every member entry's balance_after is the running sum": """
        SELECT id FROM (
            SELECT e.id, e.balance_after,
                   SUM(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS running
            FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.no_overdraft) x
        WHERE balance_after IS NULL OR balance_after <> running""",
    "no member below zero": """
        SELECT id FROM accounts WHERE no_overdraft
          AND (credits_posted - debits_posted - debits_pending < 0 OR owed < 0)""",
    "every member's open lots add up to the balance": """
        SELECT a.id FROM accounts a
        LEFT JOIN (SELECT account_id, SUM(remaining) AS open FROM lots GROUP BY account_id) l
               ON l.account_id = a.id
        WHERE a.no_overdraft AND COALESCE(l.open, 0) <> a.credits_posted - a.debits_posted""",
    "every member's pending holds add up to its debits_pending": """
        SELECT a.id FROM accounts a
        LEFT JOIN (SELECT account_id, SUM(amount) AS held FROM holds
                   WHERE status = 'pending' GROUP BY account_id) h ON h.account_id = a.id
        WHERE COALESCE(h.held, 0) <> a.debits_pending OR a.credits_pending <> 0""",
    "every captured hold is one redemption of its points to the bills account": """
        SELECT h.id FROM holds h
        LEFT JOIN transfers t ON t.id = h.transfer_id
        LEFT JOIN accounts b ON b.id = t.credit_account_id
        WHERE (h.status = 'captured') <> (h.transfer_id IS NOT NULL)
           OR (h.transfer_id IS NOT NULL AND (t.id IS NULL OR t.amount <> h.amount
               OR t.debit_account_id <> h.account_id OR t.code <> 'REDEEM'
               OR b.kind <> 'alliance_bills'))""",
    "no transfer is reversed by more than its amount": """
        SELECT t.id FROM transfers t
        JOIN (SELECT reverses_id, SUM(amount) AS back FROM transfers
              WHERE reverses_id IS NOT NULL GROUP BY reverses_id) r ON r.reverses_id = t.id
        WHERE r.back > t.amount""",
}

FLOWS_BY_COUNTERPARTY = """
    SELECT c.kind,
           SUM(CASE WHEN t.credit_account_id = m.id THEN t.amount ELSE -t.amount END)
    FROM transfers t
    JOIN accounts m ON m.kind = 'member'
                   AND (m.id = t.debit_account_id OR m.id = t.credit_account_id)
    JOIN accounts c ON c.id = CASE WHEN t.credit_account_id = m.id
                                   THEN t.debit_account_id ELSE t.credit_account_id END
    GROUP BY c.kind"""


@dataclass
class Report:
    failures: dict[str, list] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        """Say what was checked and, for each broken invariant, which rows break it."""
        lines = [f"{name}: {value}" for name, value in self.figures.items()]
        if self.ok:
            lines.append("ledger ok: every invariant holds")
        for check, rows in self.failures.items():
            lines.append(f"FAILED {check}: {', '.join(str(r) for r in rows[:20])}"
                         + (f" … ({len(rows)} in all)" if len(rows) > 20 else ""))
        return "\n".join(lines)


def verify_ledger(session: Session) -> Report:
    """Check every ledger invariant; the report lists what fails, with row ids."""
    report = Report()
    for name, sql in CHECKS.items():
        rows = session.execute(text(sql)).scalars().all()
        if rows:
            report.failures[name] = rows

    debits, credits, moved = session.execute(text(
        "SELECT COALESCE(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0),"
        " (SELECT COALESCE(SUM(amount), 0) FROM transfers) FROM entries"
    )).one()
    if not debits == credits == moved:
        report.failures["debits equal credits"] = [f"debits={debits}", f"credits={credits}",
                                                   f"transfers={moved}"]

    flows = dict(session.execute(text(FLOWS_BY_COUNTERPARTY)).all())
    issued = sum(flows.get(kind, 0) for kind in ISSUING_KINDS)
    redeemed = -flows.get(MERCHANT_REDEEMED, 0)
    expired = -flows.get(ALLIANCE_BREAKAGE, 0)
    on_bills = -flows.get(ALLIANCE_BILLS, 0)  # spent on telecom bills, the alliance's cost
    outstanding, owed, held = session.execute(text(
        "SELECT COALESCE(SUM(credits_posted - debits_posted), 0), COALESCE(SUM(owed), 0),"
        " COALESCE(SUM(debits_pending), 0) FROM accounts WHERE kind = :member"),
        {"member": MEMBER}).one()
    unexplained = set(flows) - ISSUING_KINDS - {MERCHANT_REDEEMED, ALLIANCE_BREAKAGE,
                                                ALLIANCE_BILLS}
    if unexplained:
        report.failures["every member transfer has a known counterparty"] = sorted(unexplained)
    if issued - redeemed - on_bills - expired - outstanding != 0:
        report.failures["issued − redeemed − spent on bills − expired − outstanding = 0"] = [
            f"issued={issued}", f"redeemed={redeemed}", f"spent on bills={on_bills}",
            f"expired={expired}", f"outstanding={outstanding}"]
    pending = session.execute(text(
        "SELECT COALESCE(SUM(amount), 0) FROM holds WHERE status = 'pending'")).scalar_one()
    if pending != held:
        report.failures["pending holds equal the members' debits_pending"] = [
            f"holds={pending}", f"debits_pending={held}"]
    clawback = session.execute(text(
        "SELECT COALESCE(SUM(e.amount), 0) FROM entries e JOIN accounts a ON a.id = e.account_id"
        " WHERE a.kind = :kind"), {"kind": ALLIANCE_CLAWBACK}).scalar_one()
    if owed + clawback != 0:
        report.failures["points owed by members equal the clawback account"] = [
            f"owed={owed}", f"clawback balance={clawback}"]

    report.figures = {
        "transfers": session.execute(text("SELECT COUNT(*) FROM transfers")).scalar_one(),
        "points issued": issued, "points redeemed": redeemed, "points expired": expired,
        "points spent on bills": on_bills, "points held": held,
        "points outstanding": outstanding, "points owed": owed}
    return report
