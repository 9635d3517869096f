"""``python -m app.core.migrations [upgrade | revision | check | downgrade]``.

- ``upgrade`` (the default; ``make migrate``): apply every feature's pending
  revisions;
- ``revision -m "what changed" --feature NAME``: write NAME's next revision
  from the difference between its models and the database (``make revision``);
- ``check``: fail if the models and the migrations differ;
- ``downgrade TARGET``: for example ``addressbook@base`` to drop one feature's
  tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alembic import command
from alembic.util import CommandError

from app import FEATURES
from app.core.migrations import (
    UnknownRevisionError,
    alembic_config,
    next_revision_id,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one migration command; print a one-line reason when it fails."""
    parser = argparse.ArgumentParser(prog="python -m app.core.migrations")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("upgrade", help="apply every pending revision")
    revision = commands.add_parser("revision", help="write a feature's next revision")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument(
        "--feature", required=True, choices=[f.name for f in FEATURES]
    )
    commands.add_parser("check", help="fail if models and migrations differ")
    downgrade = commands.add_parser("downgrade", help="for example: addressbook@base")
    downgrade.add_argument("target")
    arguments = parser.parse_args(argv)
    config = alembic_config(FEATURES)
    try:
        if arguments.command in (None, "upgrade"):
            command.upgrade(config, "heads")
        elif arguments.command == "revision":
            feature = next(f for f in FEATURES if f.name == arguments.feature)
            if feature.migrations is None:
                parser.error(f"the feature {feature.name} keeps no migrations")
            first = not any(feature.migrations.glob("*.py"))
            command.revision(
                config,
                arguments.message,
                autogenerate=True,
                head="base" if first else f"{feature.name}@head",
                branch_label=feature.name if first else None,
                version_path=str(feature.migrations),
                rev_id=next_revision_id(feature),
            )
        elif arguments.command == "check":
            command.check(config)
        else:
            command.downgrade(config, arguments.target)
    except (UnknownRevisionError, CommandError) as error:
        print(f"migrations: {error}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
