"""The read models' tables. Each can be dropped and rebuilt from the event store at any time."""

from django.db import models


class AgendaEntry(models.Model):
    """One row per booking, for hosts' agendas and analysts' queries."""

    uid = models.UUIDField(primary_key=True)
    organisation_id = models.UUIDField()
    host_id = models.UUIDField()
    event_type_id = models.UUIDField()
    title = models.CharField(max_length=200)
    attendee_name = models.CharField(max_length=200)
    attendee_email = models.CharField(max_length=254)
    attendee_time_zone = models.CharField(max_length=64)
    host_time_zone = models.CharField(max_length=64)
    start = models.DateTimeField()
    end = models.DateTimeField()
    start_local = models.CharField(max_length=32)  # RFC 3339 in the host's zone
    end_local = models.CharField(max_length=32)
    local_date = models.DateField()  # host-local date of the start
    minutes = models.IntegerField()
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.IntegerField()  # the booking aggregate version this row reflects

    class Meta:
        db_table = "agenda_entry"
        indexes = [
            models.Index(fields=["organisation_id", "local_date", "start"], name="agenda_org_day"),
            models.Index(fields=["host_id", "local_date", "start"], name="agenda_host_day"),
            models.Index(fields=["organisation_id", "attendee_email", "start"], name="agenda_org_attendee"),
        ]


class AgendaHost(models.Model):
    """What the agenda needs to know of hosts (their zone), kept from host events."""

    id = models.UUIDField(primary_key=True)
    organisation_id = models.UUIDField()
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, default="")
    time_zone = models.CharField(max_length=64)
    version = models.IntegerField()

    class Meta:
        db_table = "agenda_host"


class AgendaEventType(models.Model):
    """An event type's public settings, for reads that show what was booked (GraphQL, analysts)."""

    id = models.UUIDField(primary_key=True)
    organisation_id = models.UUIDField(null=True)
    host_id = models.UUIDField()
    slug = models.CharField(max_length=100, default="")
    title = models.CharField(max_length=200)
    length_in_minutes = models.IntegerField(default=0)
    buffer_before_minutes = models.IntegerField(default=0)
    buffer_after_minutes = models.IntegerField(default=0)
    minimum_notice_minutes = models.IntegerField(default=0)
    slot_interval_minutes = models.IntegerField(null=True)  # None: the length
    max_bookings_per_day = models.IntegerField(null=True)
    booking_window_days = models.IntegerField(default=60)
    version = models.IntegerField()

    class Meta:
        db_table = "agenda_event_type"
        indexes = [models.Index(fields=["host_id"], name="agenda_event_type_host")]


class AvailabilityDay(models.Model):
    """Which host and local date a calendar-day aggregate stands for, and how far it is applied."""

    id = models.UUIDField(primary_key=True)
    host_id = models.UUIDField()
    local_date = models.DateField()
    version = models.IntegerField()

    class Meta:
        db_table = "availability_day"


class AvailabilityHold(models.Model):
    """A booking's hold on one host-local date: the busy interval with buffers."""

    id = models.BigAutoField(primary_key=True)
    host_id = models.UUIDField()
    local_date = models.DateField()
    booking_uid = models.UUIDField()
    event_type_id = models.UUIDField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    start_date = models.DateField()  # host-local date of the start, which daily limits count by

    class Meta:
        db_table = "availability_hold"
        constraints = [
            models.UniqueConstraint(fields=["host_id", "local_date", "booking_uid"], name="availability_hold_once")
        ]


class ProjectionPosition(models.Model):
    """How far each view has read the event log; written in the same transaction as its rows."""

    name = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0)
    last_event_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "projection_position"


class DeadLetter(models.Model):
    """An event a view gave up on after repeated failures, with the error, for ops to inspect."""

    projection = models.CharField(max_length=64)
    position = models.BigIntegerField()
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    aggregate_id = models.UUIDField()
    attempts = models.IntegerField()
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "projection_dead_letter"
        constraints = [models.UniqueConstraint(fields=["projection", "event_id"], name="dead_letter_once")]


class ConsumerOffset(models.Model):
    """A Kafka-fed view's progress per partition, written in the transaction that applied it."""

    view = models.CharField(max_length=64)
    topic = models.CharField(max_length=200)
    partition = models.IntegerField()
    offset = models.BigIntegerField()  # the last offset applied
    position = models.BigIntegerField()  # the log position of that message

    class Meta:
        db_table = "projection_consumer_offset"
        constraints = [models.UniqueConstraint(fields=["view", "topic", "partition"], name="consumer_offset_once")]


class ReminderEventType(models.Model):
    """An event type's reminder lead times (minutes before the start), kept from event type events."""

    id = models.UUIDField(primary_key=True)
    minutes = models.CharField(max_length=64)  # comma-separated, e.g. "1440,60"; "" for none
    version = models.IntegerField()

    class Meta:
        db_table = "reminder_event_type"


class ReminderBooking(models.Model):
    """What the reminders view knows of a booking: its event type and the lead times its reminder rows
    were made for ("" once cancelled)."""

    uid = models.UUIDField(primary_key=True)
    event_type_id = models.UUIDField()
    minutes = models.CharField(max_length=64)
    version = models.IntegerField()

    class Meta:
        db_table = "reminder_booking"


class Reminder(models.Model):
    """A reminder to send: one per booking and lead time, due `minutes` before the start.

    The id is derived from the booking, the lead time and the due instant, so a replay makes the
    same ids and a reminder moved by a reschedule is a new reminder. Whether it was sent is kept
    in the side-effect ledger (keyed by this id), never here: a replay cannot forget a sending."""

    id = models.UUIDField(primary_key=True)
    booking_uid = models.UUIDField()
    minutes = models.IntegerField()
    due_at = models.DateTimeField()
    start = models.DateTimeField()
    event_id = models.UUIDField()  # the event that scheduled it
    position = models.BigIntegerField()

    class Meta:
        db_table = "reminder_due"
        constraints = [models.UniqueConstraint(fields=["booking_uid", "minutes"], name="reminder_once_per_lead")]
        indexes = [models.Index(fields=["due_at"], name="reminder_due_at")]
