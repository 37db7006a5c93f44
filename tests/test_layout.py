"""Apps depend downward only (STYLE.md): integrations <- mappings <- exports <- dashboard, and none of them on
sandbox/, the stand-ins for Pleo and Odoo, which is installed only with SANDBOX_ENABLED: in production such an
import would fail or drag the stand-ins in. config/ names the sandbox by string only, to install and route it.
django-q2 takes a task as a dotted string, which no import shows, so those are checked on their own. Each admin is
registered once, where it is defined, and each module keeps to one job (STYLE.md: past ~400 lines it has two)."""
import ast
import re
from pathlib import Path

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["integrations", "mappings", "exports", "dashboard"]  # lowest first
PRODUCTION_APPS = ["config", *LAYERS]
TASK_CALLS = {"async_task", "schedule"}  # django-q2's, whose first argument is the task's dotted path
MODULE_LINES_AT_MOST = 400


def _sources(apps: list[str]):
    """(app, path from the checkout, syntax tree) of every module of `apps`, migrations included."""
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))


def _imported(tree: ast.AST):
    """(line, module) of every absolute import; a relative one cannot leave its app, each a top-level package."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.lineno, node.module


def _task_paths(tree: ast.AST):
    """(line, dotted path) of every task handed to django-q2 by name: async_task("exports.tasks.x", ...)."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in TASK_CALLS):
            yield node.lineno, node.args[0].value


def _sandbox_imports(tree: ast.AST) -> list[tuple[int, str]]:
    return [(line, module) for line, module in _imported(tree) if module.split(".")[0] == "sandbox"]


def _upward(app: str, names) -> list[tuple[int, str]]:
    """The (line, dotted name) pairs that belong to an app above `app`."""
    above = LAYERS[LAYERS.index(app) + 1:]
    return [(line, name) for line, name in names if name.split(".")[0] in above]


def test_no_production_module_imports_the_sandbox():
    found = [f"{relative}:{line}: imports {module}" for _, relative, tree in _sources(PRODUCTION_APPS)
             for line, module in _sandbox_imports(tree)]
    assert not found, "Production modules importing the stand-ins (sandbox/):\n" + "\n".join(found)


def test_apps_import_only_from_the_apps_below():
    found = [f"{relative}:{line}: imports {module}" for app, relative, tree in _sources(LAYERS)
             for line, module in _upward(app, _imported(tree))]
    assert not found, "Imports of an app above (integrations <- mappings <- exports <- dashboard):\n" + "\n".join(found)


def test_apps_queue_no_task_of_the_apps_above():
    found = [f"{relative}:{line}: queues {path}" for app, relative, tree in _sources(LAYERS)
             for line, path in _upward(app, _task_paths(tree))]
    assert not found, "Tasks of an app above queued by name:\n" + "\n".join(found)


def _unregistrations(tree: ast.AST) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "unregister"]


def test_no_admin_is_unregistered_to_be_replaced():
    """One answer to "where is this page?": an admin replaced from another app depends on app-ready order."""
    found = [f"{relative}:{line}" for _, relative, tree in _sources(PRODUCTION_APPS) for line in _unregistrations(tree)]
    assert not found, "Admins unregistered (define the page once instead):\n" + "\n".join(found)


def test_production_modules_keep_to_one_job():
    found = [f"{relative}: {lines} lines" for _, relative, _ in _sources(PRODUCTION_APPS)
             if "migrations" not in relative.parts
             and (lines := len((ROOT / relative).read_text(encoding="utf-8").splitlines())) > MODULE_LINES_AT_MOST]
    assert not found, f"Modules over {MODULE_LINES_AT_MOST} lines (split them along their jobs):\n" + "\n".join(found)


def test_the_checks_see_an_import_and_a_task_by_name():
    tree = ast.parse("import sandbox.transport\nfrom sandbox.demo import export_mappings_seed\n"
                     "from sandboxes import x\nfrom exports.services import CREATE_BATCH_SIZE\nfrom . import models\n"
                     'async_task("exports.tasks.client_action_run", 1)\ntasks.schedule("exports.tasks.x")\n'
                     'async_task(func)\nprint("exports.tasks.x")\nadmin.site.unregister(Client)\n')

    assert _sandbox_imports(tree) == [(1, "sandbox.transport"), (2, "sandbox.demo")]
    assert _upward("mappings", _imported(tree)) == [(4, "exports.services")]
    assert _upward("exports", _imported(tree)) == []
    assert _upward("mappings", _task_paths(tree)) == [(6, "exports.tasks.client_action_run"), (7, "exports.tasks.x")]
    assert _unregistrations(tree) == [10]


# Odoo's own names that only integrations/odoo/ may write: its models, the fields of moves, journal items,
# taxes, accounts, attachments and users the export and the mappings would otherwise reach into, and its account
# types. Plain words Odoo shares with everyone (`name`, `code`, `state`, `purchase`) are not in it.
ODOO_MODEL = re.compile(r"^(account|res|ir|hr|mail|analytic|base)\.[a-z_.]+$")
ODOO_FIELDS = {
    "line_ids", "invoice_line_ids", "tax_ids", "analytic_distribution", "price_unit", "move_type",
    "amount_currency", "tax_line_id", "amount_residual", "amount_residual_currency", "payment_state",
    "amount_total_signed", "payment_reference", "invoice_date_due", "partner_id", "move_id", "type_tax_use",
    "account_type", "res_model", "res_id", "datas", "mimetype", "company_ids", "group_ids", "groups_id",
    "price_include_override", "expiration_date", "amount_type", "invoice_repartition_line_ids", "repartition_type",
    "factor_percent",
    "asset_cash", "asset_current", "liability_current", "liability_payable",  # account types (integrations/odoo/chart)
}


def _odoo_names(tree: ast.AST) -> list[tuple[int, str]]:
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value in ODOO_FIELDS or ODOO_MODEL.match(node.value))]


def test_only_integrations_odoo_names_odoo_models_and_fields():
    found = [f"{relative}:{line}: {name!r}" for _, relative, tree in _sources(PRODUCTION_APPS)
             if relative.parts[:2] != ("integrations", "odoo") and "migrations" not in relative.parts
             for line, name in _odoo_names(tree)]
    assert not found, "Odoo's names outside integrations/odoo/:\n" + "\n".join(found)
