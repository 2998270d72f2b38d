"""kombu's Redis transport, with the one guard the worker needs to outlive a broker outage.

kombu 5.7.0 (the latest release; celery 5.7.0) builds a channel's Redis connection pool lazily
from `channel.connection.client`, the kombu Connection. When the broker drops, celery's consumer
calls `Connection.collect()`, which clears the transport's `client` (`_do_close_transport`),
while a channel that still holds unacknowledged messages can outlive it: closing it disconnects
its pools, and a later `restore_unacked` (requeueing the messages that were never acknowledged)
or acknowledgement rebuilds the pool from a client that is now None:
`AttributeError: 'NoneType' object has no attribute 'hostname'`. That error is not one of the
broker's connection errors, so it escapes the consumer's reconnect loop and the worker exits
("Unrecoverable error").

The guard: each channel remembers the connection it was opened for and builds its pools from
that when the transport has lost it. The restore then either succeeds (the broker is back) or
raises the broker's own connection error, which celery handles by reconnecting. What it could
not requeue is not lost either: the outbox row is still waiting, and the sweep (and the worker's
sweep when it starts) hands it again.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, connection, *args, **kwargs):
        self._opened_for = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is not None and transport.client is None:
            transport.client = self._opened_for
            try:
                return super()._connparams(asynchronous=asynchronous)
            finally:
                transport.client = None
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel
