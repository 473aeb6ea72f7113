"""Every refusal reason the server can give is registered (backend/core/reasons.py) and has a
zh-CN and an English template in the PWA (pwa/src/i18n/reasons.js) using only its params."""

import ast
import re
from pathlib import Path

import pytest

from backend.core.errors import InvalidInput, NotFound, error_body
from backend.core.reasons import REASONS, check_reason

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
TEMPLATES = ROOT / "pwa" / "src" / "i18n" / "reasons.js"


def _raised_reasons() -> dict[str, str]:
    """reason → where, for every reason the backend's code names: `reason="…"` keywords,
    `"reason": "…"` dict entries, BadRow's second argument, imei_fault's tuples and an import's
    `error_code`."""
    found: dict[str, str] = {}
    for path in BACKEND.rglob("*.py"):
        if path.name == "reasons.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call):
                values += [k.value for k in node.keywords if k.arg == "reason"]
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "BadRow" and len(node.args) >= 2:
                    values.append(node.args[1])
            elif isinstance(node, ast.Dict):
                values += [v for k, v in zip(node.keys, node.values, strict=True) if _const(k) == "reason"]
            elif isinstance(node, ast.Tuple) and len(node.elts) == 3 and _const(node.elts[1]) in REASONS:
                values.append(node.elts[1])  # rules.imei_fault: (message, reason, params)
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple):
                # imp.error_code, imp.error_params = "import.…", {…}
                pairs = zip(node.targets[0].elts, getattr(node.value, "elts", []), strict=False)
                values += [v for t, v in pairs if getattr(t, "attr", "") == "error_code"]
            while any(isinstance(v, ast.IfExp) for v in values):  # reason="a" if … else "b"
                values = [x for v in values for x in ((v.body, v.orelse) if isinstance(v, ast.IfExp) else (v,))]
            for v in values:
                text = _const(v)
                if isinstance(text, str):
                    found[text] = f"{where}:{v.lineno}"
                elif isinstance(v, ast.JoinedStr) and v.values and isinstance(_const(v.values[0]), str):
                    # f"display.needs_{lacking}": every registered reason with that beginning
                    prefix = _const(v.values[0])
                    matching = [r for r in REASONS if r.startswith(prefix)]
                    assert matching, f"{where}:{v.lineno}: no registered reason starts with {prefix!r}"
                    found.update(dict.fromkeys(matching, f"{where}:{v.lineno}"))
    return found


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def _templates() -> dict[str, dict[str, str]]:
    text = TEMPLATES.read_text(encoding="utf-8")
    zh_part, en_part = text.split("\n  en: {", 1)
    pattern = re.compile(r"'err\.([\w.]+)':\s*\n?\s*(['\"])(.*?)(?<!\\)\2,", re.S)
    return {
        "zh-CN": {m.group(1): m.group(3) for m in pattern.finditer(zh_part)},
        "en": {m.group(1): m.group(3) for m in pattern.finditer(en_part)},
    }


def test_every_reason_the_code_gives_is_registered():
    raised = _raised_reasons()
    unknown = {r: where for r, where in raised.items() if r not in REASONS}
    assert not unknown, f"add these to backend/core/reasons.py: {unknown}"
    assert len(raised) > 40  # the walk finds the raise sites (it would pass on finding none)


DOMAIN_ERRORS = {
    "DomainError",
    "InvalidInput",
    "NotFound",
    "Unauthorized",
    "Forbidden",
    "Conflict",
    "TooManyRequests",
    "PayloadTooLarge",
    "InsufficientStorage",
    "MissingEvidence",
    "MutationGap",
    "storage_full",
}


def test_every_domain_error_raised_says_its_reason():
    """A new rule that raises without a reason would show its English message in the Chinese UI."""
    bare = []
    for path in BACKEND.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in DOMAIN_ERRORS:
                if not any(k.arg == "reason" for k in node.keywords) and not _forwards_reason(node):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, f"raised without reason=: {bare}"


def _forwards_reason(call: ast.Call) -> bool:
    """super().__init__(message, reason=reason…) in a subclass, or a class body: not a raise site."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"


def test_every_registered_reason_is_given_somewhere():
    unused = set(REASONS) - set(_raised_reasons())
    assert not unused, f"registered but never raised (remove, or raise them): {sorted(unused)}"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_reason_has_a_template_with_its_params(lang):
    templates = _templates()[lang]
    missing = sorted(set(REASONS) - set(templates))
    assert not missing, f"no {lang} template in pwa/src/i18n/reasons.js for {missing}"
    for reason, params in REASONS.items():
        placeholders = set(re.findall(r"\{(\w+)\}", templates[reason]))
        # A template may leave a param out (a visit's uuid says nothing to a rep), never use another.
        assert placeholders <= set(params), f"{lang} err.{reason} uses {placeholders - set(params)}"
    assert not set(templates) - set(REASONS), "templates for reasons the server does not have"


def test_an_unregistered_reason_or_wrong_params_fail_at_once():
    with pytest.raises(ValueError, match="unknown error reason"):
        InvalidInput("x", reason="no.such_reason")
    with pytest.raises(ValueError, match="takes params"):
        NotFound("x", reason="store.not_found", params={"id": 1})
    with pytest.raises(ValueError, match="params without a reason"):
        check_reason(None, {"a": 1})


def test_the_body_carries_reason_and_params_as_data():
    exc = NotFound("No store 7.", field="store_id", reason="store.not_found", params={"store_id": 7})
    assert exc.to_dict() == {
        "code": "not_found",
        "status": 404,
        "message": "No store 7.",
        "reason": "store.not_found",
        "params": {"store_id": 7},
        "field": "store_id",
        "errors": {"json": {"store_id": ["No store 7."]}},
    }
    assert exc.to_dict(rest=False)["params"] == {"store_id": 7}
    assert "reason" not in error_body("invalid", "plain")


def _literal_reason_params() -> list[tuple[str, str, set[str]]]:
    """(where, reason, param names) for every call that names a literal reason with a literal
    dict of params (`reason="…", params={…}`, or BadRow's positional arguments)."""
    out = []
    for path in BACKEND.rglob("*.py"):
        if path.name == "reasons.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            reason, params = kw.get("reason"), kw.get("params")
            if getattr(node.func, "id", None) == "BadRow" and len(node.args) > 1:
                reason = node.args[1]
                params = node.args[2] if len(node.args) > 2 else params
            if not (isinstance(reason, ast.Constant) and isinstance(reason.value, str)):
                continue
            if params is None:
                names: set[str] = set()
            elif isinstance(params, ast.Dict) and all(isinstance(k, ast.Constant) for k in params.keys):
                names = {k.value for k in params.keys}
            else:
                continue  # params built elsewhere: checked when raised (tests run strict)
            out.append((f"{path.relative_to(ROOT)}:{node.lineno}", reason.value, names))
    return out


def test_every_literal_reason_is_given_its_registered_params():
    """A wrong param name would only show when that refusal happens; this reads them all."""
    calls = _literal_reason_params()
    assert len(calls) > 50, len(calls)  # the scan sees the raises
    wrong = [
        (where, reason, sorted(names), REASONS.get(reason))
        for where, reason, names in calls
        if reason not in REASONS or names != set(REASONS[reason])
    ]
    assert not wrong, wrong


def test_in_production_a_wrong_reason_is_logged_and_the_refusal_still_goes_out(app, monkeypatch, caplog):
    """Raising there would turn a refusal into a 500, and a sync push into one failing on every
    retry; the English message still says what was refused."""
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setattr(app, "debug", False)
    with app.app_context():
        exc = NotFound("No store 7.", reason="store.not_found", params={"id": 7})
        body = error_body("not_found", "No store 7.", reason="no.such_reason")
    assert exc.reason is None and exc.params == {} and exc.message == "No store 7."
    assert "reason" not in body and body["message"] == "No store 7."
    assert "left out of the error body" in caplog.text
