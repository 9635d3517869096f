"""What the load's clients were told, against what the database holds.

Each write is recorded with the answer its client got: a status, or no
response at all (``status`` None) and whether the connection was refused, in
which case the request never left. ``reconcile`` reads the table back:

- lost: acknowledged (201, or 204 to a delete or an ``If-Match`` update) but
  not in the table as acknowledged;
- duplicated: a marker stored more than once, or two winners of one version;
- executed without a response: in the table, though its client got no answer
  (the connection closed or reset under it);
- written despite an error: in the table, though its client was told it failed;
- unexplained: a version step of a contended entry that no update accounts for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Create:
    """``POST /addresses`` with ``marker``; ``created`` is the id a 201 gave."""

    marker: str
    status: int | None
    refused: bool
    error: str
    created: int | None


@dataclass(frozen=True)
class Update:
    """``PUT`` of a contended entry with ``If-Match: "version"`` and ``marker``."""

    entry: int
    version: int
    marker: str
    status: int | None
    refused: bool
    error: str


@dataclass(frozen=True)
class Delete:
    """``DELETE`` of an entry that this client created with ``marker``."""

    entry: int
    marker: str
    status: int | None
    refused: bool
    error: str


@dataclass
class Reconciled:
    """The read-back's findings, each a list of one line per write."""

    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    despite_error: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    winners: int = 0  # acknowledged If-Match updates
    refused_412: int = 0  # If-Match updates answered 412

    def figures(self) -> dict[str, Any]:
        """Counts, and the first few lines of each finding."""
        findings = {
            "lost": self.lost,
            "duplicated": self.duplicated,
            "executed_without_response": self.unanswered,
            "written_despite_error": self.despite_error,
            "unexplained_versions": self.unexplained,
        }
        return {
            **{name: len(lines) for name, lines in findings.items()},
            "if_match_winners": self.winners,
            "if_match_412": self.refused_412,
            "examples": {name: lines[:5] for name, lines in findings.items() if lines},
        }


def _cut(status: int | None, refused: bool) -> bool:
    """No response, though the request may have reached the server."""
    return status is None and not refused


def reconcile(
    tag: str,
    creates: Sequence[Create],
    updates: Sequence[Update],
    deletes: Sequence[Delete],
    contended: Sequence[int],
    rows: Sequence[tuple[Any, ...]],
) -> Reconciled:
    """Compare the answers with ``rows`` (``id, full_name, version``)."""
    found = Reconciled()
    stored = {int(row[0]): (str(row[1]), int(row[2])) for row in rows}
    markers = Counter(name for key, (name, _) in stored.items() if key not in contended)
    # Deleted, or maybe: a delete that got no response may have run (and is
    # reported below if it did), which explains its entry's absence.
    deleted = {d.entry for d in deletes if d.status == 204 or _cut(d.status, d.refused)}
    for row_id, (name, _) in stored.items():
        if not name.startswith(f"{tag}-"):
            found.unexplained.append(f"row {row_id} {name!r} was written by nobody")
    for create in creates:
        count = markers[create.marker]
        what = f"POST {create.marker}"
        if count > 1:
            found.duplicated.append(f"{what}: stored {count} times")
        if create.status == 201:
            if count == 0 and create.created not in deleted:
                found.lost.append(f"{what}: 201 id {create.created}, not stored")
        elif _cut(create.status, create.refused):
            if count and create.created not in deleted:
                found.unanswered.append(f"{what}: stored, client got {create.error}")
        elif count:
            found.despite_error.append(f"{what}: stored, answered {create.status}")
    for delete in deletes:
        what = f"DELETE /addresses/{delete.entry} ({delete.marker})"
        if delete.status == 204 and delete.entry in stored:
            found.lost.append(f"{what}: 204, row still there")
        elif delete.entry not in stored:
            if _cut(delete.status, delete.refused):
                found.unanswered.append(f"{what}: gone, client got {delete.error}")
            elif delete.status not in (204, None):
                found.despite_error.append(f"{what}: gone, answered {delete.status}")
    for entry in contended:
        _versions(
            found, entry, stored.get(entry), [u for u in updates if u.entry == entry]
        )
    return found


def _versions(
    found: Reconciled,
    entry: int,
    row: tuple[str, int] | None,
    updates: list[Update],
) -> None:
    """Each version of a contended entry: one acknowledged winner, in the row."""
    if row is None:
        found.lost.append(f"contended entry {entry} is gone")
        return
    name, version = row
    winners: defaultdict[int, list[Update]] = defaultdict(list)
    for update in updates:
        if update.status == 204:
            winners[update.version].append(update)
        elif update.status == 412:
            found.refused_412 += 1
    found.winners += sum(len(won) for won in winners.values())
    for step, won in sorted(winners.items()):
        if len(won) > 1:
            found.duplicated.append(
                f"PUT /addresses/{entry} If-Match {step}: {len(won)} winners"
            )
        if step >= version:
            found.lost.append(
                f"PUT /addresses/{entry} If-Match {step} ({won[0].marker}): 204, "
                f"but the row is at version {version}"
            )
    for step in range(1, version):
        if step in winners:
            continue
        cut = [u for u in updates if u.version == step and _cut(u.status, u.refused)]
        failed = [
            u
            for u in updates
            if u.version == step and u.status is not None and u.status >= 500
        ]
        if cut:
            found.unanswered.append(
                f"PUT /addresses/{entry} If-Match {step}: applied, "
                f"{len(cut)} racing client(s) got no response ({cut[0].error})"
            )
        elif failed:
            found.despite_error.append(
                f"PUT /addresses/{entry} If-Match {step}: applied, "
                f"answered {failed[0].status}"
            )
        else:
            found.unexplained.append(
                f"/addresses/{entry}: version {step} to {step + 1}, nobody won it"
            )
    last = winners.get(version - 1)
    if last and last[0].marker != name:
        found.lost.append(
            f"PUT /addresses/{entry}: the row holds {name!r}, "
            f"the winner of version {version - 1} sent {last[0].marker!r}"
        )
