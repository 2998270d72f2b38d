"""The worker's Redis transport (backoffice.broker) against a redis-server of its own."""

import pytest
from kombu import Connection, Queue

from devtools.harness import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    with RedisServer(directory=tmp_path / "redis") as server:
        yield server


def _unacknowledged(connection: Connection):
    queue = Queue("faults")
    with connection.Producer() as producer:
        producer.publish({"message": 1}, routing_key="faults", declare=[queue])
    received = []
    consumer = connection.Consumer([queue], callbacks=[lambda body, m: received.append(m)])
    consumer.qos(prefetch_count=1)
    consumer.consume()
    connection.drain_events(timeout=5)
    return received[0]


@pytest.mark.parametrize(
    "transport, survives",
    [("redis", False), ("backoffice.broker:Transport", True)],
)
def test_unacked_messages_are_restored_after_the_connection_was_collected(
    redis_server, transport, survives
):
    """What celery's consumer does when the broker drops: `collect()` clears the transport's
    client, and the channel's pools are gone; requeueing the unacknowledged message afterwards
    must not die on the missing client (kombu 5.7.0's AttributeError on `hostname`)."""
    connection = Connection(redis_server.url, transport=transport)
    message = _unacknowledged(connection)
    channel = message.channel
    channel._disconnect_pools()  # as Channel.close does, before restoring
    connection._do_close_transport()  # as Connection.collect does

    if not survives:
        with pytest.raises(AttributeError, match="hostname"):
            channel.qos.restore_unacked()
        channel.qos._on_collect.cancel()  # not again at the interpreter's exit
        return
    channel.qos.restore_unacked()
    with Connection(redis_server.url) as fresh:
        assert fresh.default_channel.client.llen("faults") == 1
