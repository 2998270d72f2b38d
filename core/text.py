"""Text that can be stored. Postgres refuses the NUL character (U+0000) in `text` and `jsonb`,
so input carrying one is refused where it enters, with the field named, instead of failing
deep inside a query as a server error. Every entry point (API schemas, forms, services, the
gateways' notifications, URL tokens) asks the same two functions."""

from collections.abc import Iterator

NUL = "\x00"
NUL_MESSAGE = "Must not contain the NUL character (U+0000)."


def has_nul(value: str) -> bool:
    return NUL in value


def nul_paths(value, path: tuple = ()) -> Iterator[tuple]:
    """The paths of every string (key or value) with a NUL in a decoded JSON document."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                yield (*path, key)
            yield from nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_paths(item, (*path, i))
