"""Only integrations/odoo names Odoo's models (issue 12): the apps above speak through OdooBooks, so a new Odoo
version is one dialect there, not a hunt through exports and mappings. The stand-ins are Odoo, so sandbox/ is
left out, and migrations name no models."""
import ast
import re
from pathlib import Path

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_APPS = ["config", "dashboard", "exports", "integrations", "mappings"]
# Odoo model names: "account.move", "res.partner", "ir.attachment", ... (a dotted lowercase pair or more).
ODOO_MODEL = re.compile(r"^(account|res|hr|ir|mail|analytic)\.[a-z_]+(\.[a-z_]+)*$")
QUOTED_IN_TEXT = re.compile(r"'((?:account|res|hr|ir|mail|analytic)\.[a-z_.]+)'")  # e.g. inside SQL


def _string_literals(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_no_module_outside_integrations_odoo_names_an_odoo_model():
    found = []
    for app in PRODUCTION_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("integrations", "odoo") or "migrations" in relative.parts:
                continue
            found += [f"{relative}:{line}: {value[:60]}" for line, value in _string_literals(path)
                      if ODOO_MODEL.match(value) or QUOTED_IN_TEXT.search(value)]
    assert not found, "Odoo models named outside integrations/odoo:\n" + "\n".join(found)


def test_the_check_sees_a_model_name():
    assert ODOO_MODEL.match("account.move") and ODOO_MODEL.match("res.users.apikeys")
    assert not ODOO_MODEL.match("exports.tasks.export_queue_poll") and not ODOO_MODEL.match("account")
    assert QUOTED_IN_TEXT.search("SELECT 'account.move', 1")
