"""Matches: matching runs, proposals, the lifecycle from proposal to delivery."""

__all__: list[str] = []
