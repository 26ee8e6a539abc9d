"""core.events.publish_many: every subscriber sees every event, in publish's order; batch
forms and subscribe_many handlers take the list in one call."""

from __future__ import annotations

from core import events


def test_publish_many_reaches_every_handler_in_order_and_batch_forms_once():
    log = []

    def with_batch_form(event):
        log.append(("plain-with-form", event.data["n"]))

    def batch_form(batch):
        log.append(("batch-form", [e.data["n"] for e in batch]))

    def plain(event):
        log.append(("plain", event.data["n"]))

    def everything(event):
        log.append(("*", event.data["n"]))

    def many(batch):
        log.append(("many", [e.data["n"] for e in batch]))

    events.subscribe("test.batch", with_batch_form, many=batch_form)
    events.subscribe("test.batch", plain)
    events.subscribe("*", everything)
    events.subscribe_many("test.batch", many)
    try:
        published = events.publish_many("test.batch", [{"data": {"n": n}} for n in (1, 2)])
        assert log == [
            ("batch-form", [1, 2]),
            ("plain", 1),
            ("plain", 2),
            ("*", 1),
            ("*", 2),
            ("many", [1, 2]),
        ]
        assert len({event.occurred_at for event in published}) == 1  # one change, one time
        log.clear()
        events.publish("test.batch", data={"n": 3})  # one event: the plain handler itself
        assert log == [("plain-with-form", 3), ("plain", 3), ("*", 3), ("many", [3])]
        log.clear()
        with events.batched():
            events.publish_many("test.batch", [{"data": {"n": 4}}])
            events.publish("test.batch", data={"n": 5})
            assert ("many", [4]) not in log  # held until the block ends
        assert log[-1] == ("many", [4, 5])
        assert events.publish_many("test.batch", []) == []
    finally:
        events.unsubscribe("test.batch", with_batch_form)
        events.unsubscribe("test.batch", plain)
        events.unsubscribe("*", everything)
        events.unsubscribe_many("test.batch", many)
    assert with_batch_form not in events._batch_forms
