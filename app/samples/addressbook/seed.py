"""Load sample entries into the address book: ``make seed``.

``python -m app.samples.addressbook.seed data/*.json`` (from this folder)
validates each file against ``Entry`` and adds it through the service,
skipping names that are there already, so running it twice adds nothing. It
uses the database that the settings name, like the server and the migrations.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from app import create_app
from app.core import database
from app.samples.addressbook.schemas import Entry
from app.samples.addressbook.service import AddressBook
from app.samples.addressbook.storage import AddressStore

logger = logging.getLogger(__name__)


async def seed(paths: Sequence[Path]) -> int:
    """Add each file's entry unless its name is taken; return how many were added."""
    entries = [Entry.model_validate_json(path.read_bytes()) for path in paths]
    app = create_app()
    added = 0
    async with database.connected(app) as db:
        book = AddressBook(db)
        for entry in entries:
            if await AddressStore(db.reads).find_by_name(entry.full_name):
                logger.info("skipped %s: already there", entry.full_name)
                continue
            stored = await book.create(entry)
            logger.info("added %s as entry %d", entry.full_name, stored.id)
            added += 1
    return added


def main(argv: Sequence[str]) -> int:
    """Seed from the files named in ``argv``; exit 1 if one is not a valid entry."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        added = asyncio.run(seed([Path(arg) for arg in argv]))
    except (OSError, ValidationError) as error:
        logger.error("seed: %s", error)
        return 1
    logger.info("%d entries added", added)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
