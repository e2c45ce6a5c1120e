"""Follow-ups and reminders: the unattended jobs that keep reps on top of their work.

- `reminders`: task reminders at `reminder_at`, appointment reminders before the start (a sweep every 5 minutes);
- `stage`: the follow-up task of the stage a deal enters (on `deal.stage_changed`);
- `digest`: one daily digest per rep of rotting deals and overdue tasks.
"""

# The events the followups worker receives: a deal's stage change makes its follow-up task, and every one of
# them registers its tenant for the scheduled jobs (a tenant with tasks, appointments, pipelines or orders has
# work: the daily customer ranking walks the customers of the tenants with orders).
FOLLOWUP_EVENTS = (
    "deal.stage_changed",
    "task.created",
    "appointment.created",
    "pipeline.created",
    "order.created",
)
