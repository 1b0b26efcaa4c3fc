"""The account export and the account erasure gather every app's share of a person's data.

``actors`` sits below the apps that hold the rest (offers, meetings, initiatives), so it cannot
import them: each of those registers, in its ``AppConfig.ready``, what it exports about a person
and what it erases or anonymises when the account goes (``register``). ``actors.services``
runs them all inside the deletion's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    name: str
    export: Callable  # (user) -> dict of sections
    erase: Callable  # (user, by) -> None, before the account row goes


SHARES: dict[str, Share] = {}


def register(name: str, *, export: Callable, erase: Callable) -> None:
    SHARES[name] = Share(name=name, export=export, erase=erase)


def export_all(user) -> dict:
    sections: dict = {}
    for share in SHARES.values():
        sections.update(share.export(user))
    return sections


def erase_all(user, by) -> None:
    for share in SHARES.values():
        share.erase(user, by)
