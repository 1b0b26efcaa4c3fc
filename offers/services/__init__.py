"""Every write and business rule on offers, needs and matches, one module per topic; import
the module you call (``from offers.services import listings``), never a name from here:

- ``listings``: offers and needs (create, update, publish, withdraw, delete, expire);
- ``matches``: a match's lifecycle, from proposal to delivery, and the daily jobs on matches;
- ``runs``: matching runs (compute, schedule on change, cascade, nightly);
- ``notices``: what these tell people (notifications).

Imports run one way: ``matches`` → ``listings`` → ``runs`` → ``notices``.
"""
