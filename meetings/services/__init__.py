"""Every write and business rule on meetings, one module per topic; import the module you
call (``from meetings.services import registrations``), never a name from here:

- ``meetings``: meetings themselves, the actions discussed, reminders;
- ``invitations``: invitations and their answers;
- ``registrations``: registrations, the waiting list, attendance;
- ``minutes``: minutes and decisions;
- ``actions``: follow-up actions, their notes, reminders when overdue;
- ``interviews``: diagnostic interviews;
- ``calendars``: calendar feeds;
- ``shared``: what they share (territory membership, recipients, e-mails after commit).

Pages, the API and Celery jobs all go through these; one function per use case, a
transaction inside, domain errors out.
"""
