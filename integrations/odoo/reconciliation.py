"""Bills reconciled with their payments: which open payables lines settle each other, and the reconcile.

A bill's payables line is its payment-term line; a payment's is its open line on the same account
(recordings 45 to 47). Only lines that cancel out exactly are reconciled (journal_items.settles).
"""
from collections import defaultdict

from integrations.odoo.books import OdooBooks
from integrations.odoo.drafts import MoveKind
from integrations.odoo.journal_items import is_counter_line, line_balance, settles

PAID, OPEN_LINES, NO_PAYMENT_LINE = "paid", "open lines", "no payment line"


def bill_payable_account(plan, lines: list[dict]) -> int:
    """The account of a bill's payables line as Odoo booked it (the partner's own payable account), else the
    one in the booking settings."""
    for line in lines:
        if not line["tax_line_id"] and is_counter_line(plan, line, line_balance(line)):
            return line["account_id"][0]
    return plan.payment.payables_account_id


def wallet_payments_reconcile(books: OdooBooks, pairs: list[tuple[int, int]], account_ids: set[int]) -> None:
    """Reconcile each (bill, payment) pair on their open payables lines, where there is one line each."""
    lines = books.open_lines([move_id for pair in pairs for move_id in pair], account_ids=account_ids)
    for bill_id, payment_id in pairs:
        pair = lines.get(bill_id, []) + lines.get(payment_id, [])
        if len(pair) == 2:
            books.lines_reconcile([line["id"] for line in pair])


class OpenPayables:
    """The open payables of the posted vendor bills and payments under some invoice numbers, and of the moves
    this run booked; read once, kept current as the run reconciles them.

    A bill names its vendor; a payment (a journal entry) names it on its open lines.
    """

    def __init__(self, books: OdooBooks, *, numbers, move_ids):
        self.books = books
        found = books.posted_with_payment_reference(sorted(numbers))
        self.lines = defaultdict(list, books.open_lines(sorted({m["id"] for m in found} | set(move_ids))))
        self._by_number = {}  # (kind, vendor, number) -> moves
        for move in found:
            kind = MoveKind(move["move_type"])
            partners = [move["partner_id"]] if kind == MoveKind.VENDOR_BILL else [
                line["partner_id"] for line in self.lines[move["id"]] if line["partner_id"]]
            if partners and partners[0]:
                self._by_number.setdefault((kind, partners[0][0], move["payment_reference"]), []).append(move)

    def bills(self, *, vendor_id: int, number: str) -> list[dict]:
        """The vendor's posted bills with this invoice number ({id, name})."""
        return self._by_number.get((MoveKind.VENDOR_BILL, vendor_id, number), [])

    def payments_before(self, *, bill_id: int, vendor_id: int, number: str) -> list[dict]:
        """The vendor's payments with this invoice number still open on the bill's payables account; none when
        the bill itself is not open (already paid, by a payment of this run)."""
        bill_lines = self._bill_lines(bill_id)
        if len(bill_lines) != 1:
            return []
        account_id = bill_lines[0]["account_id"][0]
        return [move for move in self._by_number.get((MoveKind.JOURNAL_ENTRY, vendor_id, number), [])
                if self._lines_on(move["id"], account_id)]

    def settling_lines(self, *, bill_id: int, payment_id: int) -> tuple[list[dict], str]:
        """The bill's and the payment's payables lines when they settle each other exactly, else ([], what is
        in the way): PAID, OPEN_LINES (the bill has several open payables lines), NO_PAYMENT_LINE (the payment
        has none on the bill's payables account) or, in words, what differs."""
        bill_lines = self._bill_lines(bill_id)
        if len(bill_lines) != 1:
            return [], PAID if not bill_lines else OPEN_LINES
        payment_lines = self._lines_on(payment_id, bill_lines[0]["account_id"][0])
        if len(payment_lines) != 1:
            return [], NO_PAYMENT_LINE
        difference = settles(payment_lines[0], bill_lines[0])
        return ([], difference) if difference else ([bill_lines[0], payment_lines[0]], "")

    def reconcile(self, lines: list[dict]) -> None:
        self.books.lines_reconcile([line["id"] for line in lines])
        for line in lines:  # reconciled now: not open for the next booking of this run
            self.lines[line["move_id"][0]].remove(line)

    def _bill_lines(self, bill_id: int) -> list[dict]:
        return [line for line in self.lines.get(bill_id, []) if line["display_type"] == "payment_term"]

    def _lines_on(self, move_id: int, account_id: int) -> list[dict]:
        return [line for line in self.lines.get(move_id, [])
                if line["account_id"] and line["account_id"][0] == account_id]
