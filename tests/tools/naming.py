"""Names for ``make new-resource``: checked, and the singular derived from the plural.

The name is the plural: the URL, the table, the module and the feature. The
singular names the classes and the id; it comes from a few English rules
(``orders`` → ``order``, ``categories`` → ``category``, ``boxes`` → ``box``)
or from ``--singular``. A name that an existing feature, module, table,
blueprint or URL already has is refused, and so is one Python or pytest would
read as something else.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

NAME: Final = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")  # snake_case
# Its first revision id, <name>_0001, must fit alembic_version's VARCHAR(32).
LENGTH: Final = range(2, 28)
# The feature's own modules, which a resource of the same name would shadow.
OWN_MODULES: Final = frozenset({"migrations", "schemas", "service", "storage", "tests"})
# Names a module should not shadow; site's helpers for the REPL are fair game.
BUILTINS: Final = frozenset(dir(builtins)) - {"copyright", "credits", "license"}
# Plurals that the rules below get wrong, by the name's last word.
IRREGULAR: Final = {
    "aliases": "alias",
    "caches": "cache",
    "children": "child",
    "cookies": "cookie",
    "movies": "movie",
    "people": "person",
    "statuses": "status",
}
# A plural ending and what replaces it; the first that matches wins.
ENDINGS: Final = (
    ("ies", "y"),
    ("sses", "ss"),
    ("shes", "sh"),
    ("ches", "ch"),
    ("xes", "x"),
    ("ss", None),  # class, address: singular already
    ("us", None),  # status
    ("is", None),  # analysis
    ("s", ""),
)


class RefusedError(ValueError):
    """The name cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Resource:
    """A resource's names: ``plural`` (URL, table, module), ``singular`` (classes)."""

    plural: str
    singular: str

    def placeholders(self) -> dict[str, str]:
        """What the templates' ``$names`` stand for."""
        things = self.plural.replace("_", " ")
        return {
            "plural": self.plural,  # orders: the URL, table, module and feature
            "singular": self.singular,  # order: the id is order_id
            "Plural": _camel(self.plural),  # Orders: the service
            "Singular": _camel(self.singular),  # Order: the schema; OrderRow...
            "things": things,  # in sentences
            "Things": things.capitalize(),
            "thing": self.singular.replace("_", " "),
            "date": date.today().isoformat(),
        }

    def folder(self, root: Path) -> Path:
        """Where the feature goes."""
        return root / "app" / "features" / self.plural


def singular_of(plural: str) -> str:
    """The singular of a snake_case plural, by its last word; refused if unsure."""
    head, _, last = plural.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in IRREGULAR:
        return prefix + IRREGULAR[last]
    for ending, replacement in ENDINGS:
        if last.endswith(ending) and len(last) > len(ending):
            if replacement is None:
                break
            return prefix + last.removesuffix(ending) + replacement
    raise RefusedError(
        f"{plural!r} does not look like a plural; give its singular: "
        f"make new-resource name={plural} singular=<singular>"
    )


def resource_named(plural: str, singular: str | None = None) -> Resource:
    """Check the names, derive the singular if not given."""
    for what, name in (("name", plural), ("singular", singular)):
        if name is not None and not NAME.match(name):
            raise RefusedError(
                f"the {what} {name!r} must be snake_case: a lowercase letter, then "
                "lowercase letters, digits and single underscores"
            )
        if name is not None and len(name) not in LENGTH:
            raise RefusedError(
                f"the {what} {name!r} must be {LENGTH.start} to {LENGTH.stop - 1} "
                "characters long (its revision ids must fit Alembic's 32)"
            )
    if keyword.iskeyword(plural) or plural in BUILTINS:
        raise RefusedError(f"{plural!r} is a Python keyword or built-in")
    if plural in OWN_MODULES:
        raise RefusedError(f"{plural!r} is the name of one of the feature's modules")
    if plural == "test" or plural.startswith("test_"):
        raise RefusedError(f"pytest would collect the module {plural}.py as tests")
    singular = singular or singular_of(plural)
    if singular == plural:
        raise RefusedError(f"the singular must differ from the plural {plural!r}")
    return Resource(plural, singular)


def taken(resource: Resource, root: Path) -> list[str]:
    """Why the resource's name is taken in the app at ``root``; empty if it is free.

    The files are looked for under ``root``; features, tables, blueprints and
    URLs come from the ``app`` that Python imports, which is root's when the
    generator runs from there, as ``make`` runs it.
    """
    name = resource.plural
    reasons = [
        f"{path.relative_to(root)} exists"
        for path in (
            resource.folder(root),
            root / "app" / "samples" / name,
            root / "app" / name,
            root / "app" / f"{name}.py",
        )
        if path.exists()
    ]
    # No package holds a feature's tests, so mypy needs each file name once.
    tests = f"test_{name}.py"
    reasons += [
        f"{path.relative_to(root)} exists: {tests} must be unique"
        for path in sorted((root / "app").rglob(tests))
        + sorted((root / "tests").rglob(tests))
    ]
    from app import FEATURES, create_app
    from app.core.database import Base

    if name in {feature.name for feature in FEATURES}:
        reasons.append(f"a feature named {name} is installed")
    if name in Base.metadata.tables or name == "alembic_version":
        reasons.append(f"a table named {name} exists")
    app = create_app({"TESTING": True})
    if name in app.blueprints:
        reasons.append(f"a blueprint named {name} is registered")
    prefix = f"/{name}"
    if any(
        rule.rule == prefix or rule.rule.startswith(f"{prefix}/")
        for rule in app.url_map.iter_rules()
    ):
        reasons.append(f"URLs under {prefix} are taken")
    return reasons


def _camel(snake: str) -> str:
    return "".join(word.capitalize() for word in snake.split("_"))
