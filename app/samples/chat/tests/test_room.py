"""The chat room with no sockets: fan-out, and dropping a member who lags."""

from __future__ import annotations

from app.samples.chat.room import Room


async def test_broadcast_reaches_everyone_but_the_sender() -> None:
    room = Room()
    alice, bob, carol = (room.join(name, 4) for name in ("alice", "bob", "carol"))
    room.broadcast(alice, "hi")
    assert alice.outbox.empty()
    assert bob.outbox.get_nowait() == "hi"
    assert carol.outbox.get_nowait() == "hi"


async def test_a_member_whose_queue_is_full_is_dropped() -> None:
    room = Room()
    talker, reader, lagger = (room.join(name, 2) for name in ("t", "r", "l"))
    for n in range(2):
        room.broadcast(talker, str(n))
        reader.outbox.get_nowait()  # this one keeps up
    assert not lagger.dropped.done()
    room.broadcast(talker, "one too many")
    assert lagger.dropped.done()
    assert room.members == {talker, reader}
    assert lagger.outbox.qsize() == 2  # memory stopped growing at the bound
    room.broadcast(talker, "after")
    assert lagger.outbox.qsize() == 2
