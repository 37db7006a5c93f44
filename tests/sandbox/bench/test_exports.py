"""The export benchmark's functions on a small scale: every figure printed, each one a number."""
import pytest

from sandbox.bench.exports import BENCH_CASES, bench_lines, bench_run

FIGURES = ["expenses_per_second", "odoo_calls_per_expense", "pleo_calls_per_expense", "exported", "failed"]


@pytest.mark.django_db
def test_bench_prints_every_figure_of_every_case_as_a_number_and_books_the_whole_mix():
    results = bench_run(clients=4, expenses=12)  # a client on each Odoo version

    printed = dict(line.split(": ", 1) for line in bench_lines(results))
    for case in BENCH_CASES:
        for figure in FIGURES:
            float(printed[f"{case.name}_{figure}"])  # a missing name is a KeyError, a non-number a ValueError
        assert int(printed[f"{case.name}_exported"]) == 12, case.name
        for version in (16, 17, 18, 19):
            float(printed[f"{case.name}_odoo{version}_odoo_calls_per_expense"])
        assert int(printed[f"{case.name}_failed"]) == 0, case.name
    assert float(printed["target_odoo_calls_per_expense_no_receipts"]) == 0.25
    assert printed["target_met"] in ("yes", "no")
    # The comparison is only worth printing if batching saves calls.
    by_name = {result.case.name: result for result in results}
    assert by_name["batched_no_receipts"].odoo_calls < by_name["naive_no_receipts"].odoo_calls
