import pytest

from core.contract import TopicError, TopicKind, parse_topic, shared_subscription, subscription, topic


def test_build_and_parse_round_trip() -> None:
    built = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)
    assert built == "sortcentre/v1/zwolle/zwolle-plastic-1/event"
    parsed = parse_topic(built)
    assert (parsed.site, parsed.station, parsed.kind) == ("zwolle", "zwolle-plastic-1", TopicKind.EVENT)


@pytest.mark.parametrize("bad", ["+", "#", "a/b", "Zwolle", "", "-x", "x" * 41, "zwolle ", "ümmen"])
def test_publish_topics_refuse_non_slugs(bad: str) -> None:
    with pytest.raises(TopicError):
        topic(bad, "station-1", TopicKind.EVENT)
    with pytest.raises(TopicError):
        topic("zwolle", bad, TopicKind.STATUS)


@pytest.mark.parametrize(
    "bad",
    [
        "sortcentre/v2/zwolle/s1/event",  # another contract version
        "sortcentre/v1/zwolle/s1/unknown",  # unknown kind
        "sortcentre/v1/zwolle/event",  # too short
        "other/v1/zwolle/s1/event",
        "sortcentre/v1/Zwolle/s1/event",
    ],
)
def test_parse_rejects_topics_outside_the_contract(bad: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(bad)


def test_subscriptions() -> None:
    assert subscription(TopicKind.EVENT) == "sortcentre/v1/+/+/event"
    assert subscription(TopicKind.STATUS, site="ommen") == "sortcentre/v1/ommen/+/status"
    assert shared_subscription("hub", TopicKind.EVENT) == "$share/hub/sortcentre/v1/+/+/event"
