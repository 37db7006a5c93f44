"""Per-call view of one emulated database: record cache, company rules, domains, ordering, reads."""
import datetime
from decimal import Decimal

from sandbox.odoo.engine import errors
from sandbox.odoo.engine.schema import COMPANY_RULED, DEFAULT_ORDER, fields_of, groups_field, record_companies
from sandbox.odoo.models import EmulatedRecord

__all__ = ["Env", "to_decimal", "GROUP_IMPLIES", "group_implies"]

# The record that holds a record, indexed so children load without a full scan.
PARENT_FIELD = {"account.move.line": "move_id", "ir.attachment": "res_id", "mail.message": "res_id"}

# Group xml ids that bring others along (Odoo's implied_ids), enough for the rights we check.
GROUP_IMPLIES = {
    "base.group_system": ["base.group_erp_manager", "base.group_user"],
    "base.group_erp_manager": ["base.group_user"],
    "account.group_account_manager": ["account.group_account_invoice", "account.group_account_user"],
    "account.group_account_user": ["account.group_account_invoice", "account.group_account_readonly"],
    "account.group_account_invoice": ["base.group_user"],
    "hr.group_hr_manager": ["hr.group_hr_user"],
}
GROUP_IMPLIES_19 = {
    **GROUP_IMPLIES,
    # v19/23: Settings ("Role / Administrator") implies Contact Creation.
    "base.group_system": ["base.group_erp_manager", "base.group_user", "base.group_partner_manager"],
    # v19/83: the administrator (Accounting/Administrator) sees accounts without code, i.e. holds no Read-only.
    "account.group_account_manager": ["account.group_account_invoice"],
}


def group_implies(version: int) -> dict:
    return GROUP_IMPLIES_19 if version >= 19 else GROUP_IMPLIES


def to_decimal(value) -> Decimal:
    if value is None or value is False or value == "":
        return Decimal("0")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


class Env:
    """Loads records lazily, keeps changes in memory and writes them back in `flush`."""

    def __init__(self, database, uid: int, context: dict | None = None):
        self.database = database
        self.version = database.version
        self.uid = uid
        self.context = context or {}
        self.sequences = dict(database.sequences)
        self._cache: dict[str, dict[int, dict]] = {}
        self._loaded_all: set[str] = set()
        self._created: set[tuple[str, int]] = set()
        self._dirty: set[tuple[str, int]] = set()
        self._deleted: set[tuple[str, int]] = set()
        self.computers = {}  # (model, field) -> function(env, record_id) -> raw value
        self.display_namers = {}  # model -> function(env, record_id) -> str
        self._user_groups = None
        self._fields_cache = {}

    # --- dates -----------------------------------------------------------------------------
    def today(self) -> datetime.date:
        return self.database.today or datetime.date.today()

    # --- schema ----------------------------------------------------------------------------
    def fields(self, model: str) -> dict:
        if model not in self._fields_cache:
            self._fields_cache[model] = fields_of(model, self.version)
        return self._fields_cache[model]

    def check_fields(self, model: str, names, *, write: bool = False):
        """Unknown field names are a ValueError; 19 words it "on 'model'" when reading, "in 'model'" when writing."""
        known = self.fields(model)
        for name in names:
            if name != "id" and name != "display_name" and name not in known:
                if self.version < 19:
                    raise errors.ValueError_(f"Invalid field {name!r} on model {model!r}")
                raise errors.ValueError_(f"Invalid field {name!r} {'in' if write else 'on'} {model!r}")

    def check_leaf(self, model: str, leaf):
        name = str(leaf[0]).split(".")[0]
        if self.version < 18 or name == "id" or name in self.fields(model):
            self.check_fields(model, [name])
            return
        # v18/13-as-17, v19/13-as-17: the domain names the field with its model and the whole leaf.
        word = "condition" if self.version >= 19 else "leaf"
        raise errors.ValueError_(f"Invalid field {model}.{name} in {word} {tuple(leaf)!r}")

    # --- storage ---------------------------------------------------------------------------
    def _store(self, model: str) -> dict:
        return self._cache.setdefault(model, {})

    def _load(self, queryset, model):
        store = self._store(model)
        for record_id, values in queryset.values_list("record_id", "values"):
            if record_id not in store and (model, record_id) not in self._deleted:
                store[record_id] = values

    def _base_qs(self, model):
        return EmulatedRecord.objects.filter(database=self.database, model=model)

    def all(self, model: str) -> dict:
        if model not in self._loaded_all:
            self._load(self._base_qs(model), model)
            self._loaded_all.add(model)
        return self._store(model)

    def get(self, model: str, record_id) -> dict | None:
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            return None
        store = self._store(model)
        if record_id not in store and model not in self._loaded_all:
            self._load(self._base_qs(model).filter(record_id=record_id), model)
        return store.get(record_id)

    def get_many(self, model: str, ids) -> None:
        """Loads the given ids in one query (a cache warm-up)."""
        store = self._store(model)
        missing = [i for i in ids if isinstance(i, int) and i not in store]
        if missing and model not in self._loaded_all:
            self._load(self._base_qs(model).filter(record_id__in=missing), model)

    def children(self, model: str, parent_ids) -> list[int]:
        """Ids of `model` records whose parent field is in `parent_ids`, in id order."""
        parent_ids = set(parent_ids)
        field = PARENT_FIELD[model]
        if model not in self._loaded_all:
            self._load(self._base_qs(model).filter(parent_id__in=parent_ids), model)
            # Children created in this call are already in the cache.
        store = self._store(model)
        return sorted(rid for rid, vals in store.items() if vals.get(field) in parent_ids)

    def next_id(self, model: str) -> int:
        next_id = self.sequences.get(model, 1)
        self.sequences[model] = next_id + 1
        return next_id

    def create_record(self, model: str, values: dict, record_id: int | None = None) -> int:
        record_id = record_id or self.next_id(model)
        self._store(model)[record_id] = values
        self._created.add((model, record_id))
        return record_id

    def update_record(self, model: str, record_id: int, values: dict):
        self._store(model)[record_id].update(values)
        if (model, record_id) not in self._created:
            self._dirty.add((model, record_id))

    def delete_record(self, model: str, record_id: int):
        self._store(model).pop(record_id, None)
        self._deleted.add((model, record_id))
        self._created.discard((model, record_id))
        self._dirty.discard((model, record_id))

    def flush(self):
        field_of = PARENT_FIELD.get
        deleted = {}
        for model, rid in self._deleted:
            deleted.setdefault(model, []).append(rid)
        for model, rids in deleted.items():
            self._base_qs(model).filter(record_id__in=rids).delete()
        new_rows = []
        for model, rid in sorted(self._created):
            values = self._cache[model][rid]
            parent = values.get(field_of(model)) if field_of(model) else None
            new_rows.append(EmulatedRecord(
                database=self.database, model=model, record_id=rid, values=values,
                parent_id=parent if isinstance(parent, int) else None,
            ))
        EmulatedRecord.objects.bulk_create(new_rows, batch_size=500)
        by_model = {}
        for model, rid in self._dirty:
            by_model.setdefault(model, []).append(rid)
        for model, rids in by_model.items():
            rows = list(self._base_qs(model).filter(record_id__in=rids))
            for row in rows:
                row.values = self._cache[model][row.record_id]
            EmulatedRecord.objects.bulk_update(rows, ["values"], batch_size=500)
        self.database.sequences = self.sequences
        self.database.save(update_fields=["sequences"])
        self._created.clear()
        self._dirty.clear()
        self._deleted.clear()

    # --- users, groups, companies ------------------------------------------------------------
    @property
    def user(self) -> dict:
        return self.get("res.users", self.uid) or {}

    def group_xmlids(self, uid: int | None = None) -> set[str]:
        """The xml ids of the groups of user `uid` (default: the caller), implied groups included."""
        if uid is not None and uid != self.uid:
            return self._group_xmlids_of(self.get("res.users", uid) or {})
        if self._user_groups is None:
            self._user_groups = self._group_xmlids_of(self.user)
        return self._user_groups

    def _group_xmlids_of(self, user: dict) -> set[str]:
        by_id = {
            vals["res_id"]: f"{vals['module']}.{vals['name']}"
            for vals in self.all("ir.model.data").values() if vals["model"] == "res.groups"
        }
        xmlids = {by_id[g] for g in user.get(groups_field(self.version), []) if g in by_id}
        implies = group_implies(self.version)
        pending = list(xmlids)
        while pending:
            for implied in implies.get(pending.pop(), []):
                if implied not in xmlids:
                    xmlids.add(implied)
                    pending.append(implied)
        return xmlids

    def has_group(self, xmlid: str, uid: int | None = None) -> bool:
        return xmlid in self.group_xmlids(uid)

    def allowed_company_ids(self) -> list[int]:
        user = self.user
        allowed = self.context.get("allowed_company_ids")
        if not allowed:
            return [user.get("company_id")]
        if any(cid not in user.get("company_ids", []) for cid in allowed):
            raise errors.AccessError("Access to unauthorized or invalid companies.")
        return list(allowed)

    def main_company_id(self) -> int:
        return self.allowed_company_ids()[0]

    def visible(self, model: str, values: dict) -> bool:
        if model == "res.company":
            return values is not None and self._company_visible(values)
        if model in COMPANY_RULED:
            companies = record_companies(model, values)
            return not companies or any(company in self.allowed_company_ids() for company in companies)
        return True

    def _company_visible(self, values) -> bool:
        # Odoo lets a user see every company they belong to, whatever the context selects.
        return True

    # --- values ----------------------------------------------------------------------------
    def raw(self, model: str, record_id: int, field: str):
        if field == "id":
            return record_id
        computer = self.computers.get((model, field))
        if computer:
            return computer(self, record_id)
        values = self.get(model, record_id)
        if values is None:
            return None
        spec = self.fields(model).get(field)
        if isinstance(spec, tuple) and spec[0] == "o2m":
            comodel, inverse = spec[1], spec[2]
            if comodel in PARENT_FIELD and PARENT_FIELD[comodel] == inverse:
                ids = self.children(comodel, [record_id])
                if comodel in ("ir.attachment", "mail.message"):
                    key = "res_model" if comodel == "ir.attachment" else "model"
                    ids = [i for i in ids if self.get(comodel, i).get(key) == model]
                return self.sort(comodel, ids)
            return self.sort(comodel, [rid for rid, vals in self.all(comodel).items()
                                       if vals.get(inverse) == record_id])
        return values.get(field)

    def display_name(self, model: str, record_id) -> str:
        namer = self.display_namers.get(model)
        if namer:
            return namer(self, record_id)
        values = self.get(model, record_id) or {}
        if model == "account.account":
            # 19 shows the code only to users with Read-only accounting rights (v19/42 vs v19/83).
            if self.version >= 19 and not self.has_group("account.group_account_readonly"):
                return values.get("name") or ""
            return f"{values.get('code')} {values.get('name')}"
        if "name" in values:
            return values.get("name") or ""
        return f"{model},{record_id}"

    def format_value(self, model: str, field: str, raw):
        spec = self.fields(model).get(field)
        if field in ("id",):
            return raw
        if field == "display_name":
            return raw
        kind = spec[0] if isinstance(spec, tuple) else spec
        if kind == "m2o":
            if not raw:
                return False
            return [raw, self.display_name(spec[1], raw)]
        if kind in ("o2m", "m2m"):
            return list(raw or [])
        if kind == "money":
            return float(to_decimal(raw))
        if kind == "float":
            return float(raw) if raw not in (None, False) else 0.0
        if kind == "int":
            return int(raw) if raw not in (None, False) else 0
        if kind == "bool":
            return bool(raw)
        if kind == "json":
            if not raw:
                return False
            return {key: float(value) for key, value in raw.items()}
        if raw is None:
            return False
        return raw

    def read(self, model: str, ids, fields) -> list[dict]:
        if not fields:
            fields = list(self.fields(model))
        self.check_fields(model, fields)
        self.get_many(model, ids)
        result = []
        for record_id in ids:
            values = self.get(model, record_id)
            if values is None or not self.visible(model, values):
                continue
            row = {"id": record_id}
            for field in fields:
                if field == "id":
                    continue
                if field == "display_name":
                    row[field] = self.display_name(model, record_id)
                    continue
                row[field] = self.format_value(model, field, self.raw(model, record_id, field))
            result.append(row)
        return result

    # --- search ----------------------------------------------------------------------------
    def search(self, model: str, domain, *, order=None, limit=None, offset=0, count=False):
        domain = list(domain or [])
        candidates = self._candidates(model, domain)
        leaves_fields = {leaf[0] for leaf in domain if isinstance(leaf, (list, tuple)) and len(leaf) == 3}
        active_test = (
            "active" in self.fields(model) and "active" not in leaves_fields
            and self.context.get("active_test", True)
        )
        for leaf in domain:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3:
                self.check_leaf(model, leaf)
        matched = []
        for record_id, values in candidates:
            if not self.visible(model, values):
                continue
            if active_test and values.get("active") is False:
                continue
            if self._match(model, record_id, domain):
                matched.append(record_id)
        if count:
            return len(matched)
        matched = self.sort(model, matched, order)
        if offset:
            matched = matched[offset:]
        if limit:
            matched = matched[:limit]
        return matched

    def _candidates(self, model, domain):
        parent_field = PARENT_FIELD.get(model)
        only_and = not any(isinstance(term, str) for term in domain)
        if only_and and parent_field:
            for leaf in domain:
                if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == parent_field:
                    if leaf[1] == "=" and isinstance(leaf[2], int):
                        ids = self.children(model, [leaf[2]])
                        return [(i, self.get(model, i)) for i in ids]
                    if leaf[1] == "in" and isinstance(leaf[2], (list, tuple)):
                        ids = self.children(model, leaf[2])
                        return [(i, self.get(model, i)) for i in ids]
        if only_and:
            for leaf in domain:
                if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == "id":
                    if leaf[1] == "in" and isinstance(leaf[2], (list, tuple)):
                        self.get_many(model, leaf[2])
                        store = self._store(model)
                        return [(i, store[i]) for i in leaf[2] if i in store]
                    if leaf[1] == "=" and isinstance(leaf[2], int):
                        values = self.get(model, leaf[2])
                        return [(leaf[2], values)] if values is not None else []
        return list(self.all(model).items())

    def _match(self, model, record_id, domain) -> bool:
        stack = []
        for term in reversed(domain):
            if term == "!":
                stack.append(not stack.pop())
            elif term == "&":
                stack.append(stack.pop() & stack.pop())
            elif term == "|":
                first, second = stack.pop(), stack.pop()
                stack.append(first or second)
            elif isinstance(term, (list, tuple)) and len(term) == 3:
                stack.append(self._leaf(model, record_id, term))
            elif term in (True, 1, [1, "=", 1]):
                stack.append(True)
            else:
                raise errors.ValueError_(f"Invalid leaf {term!r}")
        return all(stack)

    def _path_values(self, model, record_id, path: str) -> list:
        head, _, rest = path.partition(".")
        raw = self.raw(model, record_id, head)
        if not rest:
            return [raw]
        spec = self.fields(model).get(head)
        comodel = spec[1]
        ids = raw if isinstance(raw, list) else ([raw] if raw else [])
        values = []
        for sub_id in ids:
            if self.get(comodel, sub_id) is not None:
                values.extend(self._path_values(comodel, sub_id, rest))
        return values or [None]

    def _leaf(self, model, record_id, leaf) -> bool:
        path, operator, value = leaf
        if path == "id":
            raws = [record_id]
        else:
            raws = self._path_values(model, record_id, path)
        spec = self.fields(model).get(path.split(".")[0])
        is_x2many = isinstance(spec, tuple) and spec[0] in ("o2m", "m2m") and "." not in path
        if is_x2many:
            raws = raws[0] or [None]
        results = [_compare(raw, operator, value) for raw in raws]
        if operator in ("!=", "not in", "not ilike", "not like"):
            return all(results)
        return any(results)

    def sort(self, model, ids, order=None):
        spec = _parse_order(order) if order else DEFAULT_ORDER.get(model, [])
        spec = list(spec) + [("id", False)]

        def key_for(field, desc):
            def key(record_id):
                raw = self.raw(model, record_id, field)
                fspec = self.fields(model).get(field)
                if isinstance(fspec, tuple) and fspec[0] == "m2o" and raw:
                    raw = raw  # Odoo orders many2one by the comodel's order; id is close enough here.
                if isinstance(raw, bool):
                    raw = int(raw)
                if raw is None or raw is False:
                    return (0 if desc else 1, "")
                if field in ("debit", "credit", "balance") or (
                    isinstance(fspec, str) and fspec in ("money", "float", "int")
                ):
                    return (1 if desc else 0, to_decimal(raw))
                return (1 if desc else 0, raw)
            return key

        result = list(ids)
        for field, desc in reversed(spec):
            result.sort(key=key_for(field, desc), reverse=desc)
        return result


def _parse_order(order: str):
    spec = []
    for part in order.split(","):
        words = part.strip().split()
        if not words:
            continue
        spec.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return spec


def _norm(raw):
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, float):
        return Decimal(repr(raw))
    return raw


def _compare(raw, operator, value) -> bool:
    empty = raw is None or raw is False or raw == "" or raw == []
    if operator in ("=", "=="):
        if value is False or value is None:
            return empty
        return _eq(raw, value)
    if operator in ("!=", "<>"):
        if value is False or value is None:
            return not empty
        return not _eq(raw, value)
    if operator in ("in", "not in"):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        found = any(_eq(raw, v) for v in values if v not in (False, None)) or (
            empty and (False in values or None in values)
        )
        return found if operator == "in" else not found
    if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
        if empty:
            return operator.startswith("not")
        text, pattern = str(raw), str(value)
        if operator in ("=like", "=ilike"):
            import fnmatch

            text_cmp = text.lower() if operator == "=ilike" else text
            pattern_cmp = pattern.lower() if operator == "=ilike" else pattern
            return fnmatch.fnmatchcase(text_cmp, pattern_cmp.replace("%", "*").replace("_", "?"))
        if "i" in operator:
            text, pattern = text.lower(), pattern.lower()
        found = pattern in text
        return found if not operator.startswith("not") else not found
    if operator in ("<", ">", "<=", ">="):
        if empty or value is False or value is None:
            return False
        left, right = _norm(raw), _norm(value)
        if isinstance(left, str) and not isinstance(right, str):
            left = Decimal(left) if _is_number(left) else left
        if isinstance(left, Decimal) and isinstance(right, (int, float)):
            right = Decimal(repr(right)) if isinstance(right, float) else Decimal(right)
        try:
            return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator]
        except TypeError:
            return False
    if operator == "child_of":
        return _compare(raw, "in", value)
    raise errors.ValueError_(f"Invalid operator {operator!r}")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def _eq(raw, value) -> bool:
    if isinstance(raw, list):
        return value in raw
    if isinstance(raw, str) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _is_number(raw) and Decimal(raw) == _norm(Decimal(str(value)))
    if isinstance(raw, (int, float, Decimal)) and isinstance(value, (int, float, Decimal)):
        return _norm(raw) == _norm(value)
    return raw == value
