"""The stress suite's read-back judge: what it calls lost, duplicated, unanswered."""

from __future__ import annotations

from app.samples.addressbook.tests.ledger import Create, Delete, Update, reconcile

TAG = "t1"


def _create(n: int, status: int | None, created: int | None = None) -> Create:
    return Create(f"{TAG}-{n}", status, False, "" if status else "ReadError", created)


def test_everything_acknowledged_and_stored_is_clean() -> None:
    found = reconcile(TAG, [_create(1, 201, 1)], [], [], [], [(1, f"{TAG}-1", 1)])
    figures = found.figures()
    for finding in ("lost", "duplicated", "executed_without_response"):
        assert figures[finding] == 0, finding
    assert figures["written_despite_error"] == 0


def test_a_201_not_stored_is_lost() -> None:
    assert reconcile(TAG, [_create(1, 201, 1)], [], [], [], []).lost


def test_a_marker_stored_twice_is_duplicated() -> None:
    rows = [(1, f"{TAG}-1", 1), (2, f"{TAG}-1", 1)]
    assert reconcile(TAG, [_create(1, 201, 1)], [], [], [], rows).duplicated


def test_stored_with_no_response_is_unanswered() -> None:
    found = reconcile(TAG, [_create(1, None)], [], [], [], [(1, f"{TAG}-1", 1)])
    assert found.unanswered


def test_a_row_from_a_refused_connection_is_flagged() -> None:
    refused = Create(f"{TAG}-1", None, True, "ConnectError", None)
    found = reconcile(TAG, [refused], [], [], [], [(1, f"{TAG}-1", 1)])
    assert found.despite_error  # stored, though its request never left
    assert not found.unanswered


def test_stored_despite_a_503_is_written_despite_error() -> None:
    found = reconcile(TAG, [_create(1, 503)], [], [], [], [(1, f"{TAG}-1", 1)])
    assert found.despite_error


def test_a_204_delete_whose_row_remains_is_lost() -> None:
    delete = Delete(1, f"{TAG}-1", 204, False, "")
    rows = [(1, f"{TAG}-1", 1)]
    assert reconcile(TAG, [_create(1, 201, 1)], [], [delete], [], rows).lost


def test_two_winners_of_one_version_are_duplicated() -> None:
    updates = [
        Update(1, 1, f"{TAG}-a", 204, False, ""),
        Update(1, 1, f"{TAG}-b", 204, False, ""),
    ]
    found = reconcile(TAG, [], updates, [], [1], [(1, f"{TAG}-b", 2)])
    assert found.duplicated


def test_a_version_applied_though_answered_503_is_written_despite_error() -> None:
    updates = [
        Update(1, 1, f"{TAG}-a", 503, False, ""),
        Update(1, 1, f"{TAG}-b", 412, False, ""),
    ]
    found = reconcile(TAG, [], updates, [], [1], [(1, f"{TAG}-a", 2)])
    assert found.despite_error
    assert not found.unexplained


def test_a_version_step_nobody_made_is_unexplained() -> None:
    found = reconcile(TAG, [], [], [], [1], [(1, f"{TAG}-x", 3)])
    assert found.unexplained
