"""What a caller without the organisation's key sees of a host: what the booking page needs, no more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booking.api_keys import create_api_key
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql, GqlReply

NINE, TEN = "2026-01-06T08:00:00Z", "2026-01-06T09:00:00Z"
PUBLIC = "host { name timeZone } eventType { title lengthInMinutes host { name timeZone } }"
PRIVATE = {
    "email": "host { email }",
    "eventTypes": "host { eventTypes { id } }",
    "eventType.host.email": "eventType { host { email } }",
    "eventType.host.eventTypes": "eventType { host { eventTypes { slug } } }",
}


def _create(selection: str, event_type: str, start: str = NINE) -> GqlReply:
    document = f"""mutation($input: BookingCreateInput!) {{
      bookingCreate(input: $input) {{ cancelToken booking {{ uid {selection} }} errors {{ code }} }}
    }}"""
    return Gql()(document, {"input": {"eventTypeId": event_type, "start": start, "attendee": attendee()}})


def _read(gql: Gql, uid: str, selection: str) -> GqlReply:
    return gql(f"query($u: ID!) {{ booking(uid: $u) {{ uid {selection} }} }}", {"u": uid})


def _refused(reply: GqlReply) -> bool:
    return reply.codes == ["forbidden"] and "ada@example.com" not in str(reply.body)


def test_a_public_booking_shows_the_hosts_name_and_zone_and_the_booked_event_type(
    api: Api, project: Callable[[], None]
) -> None:
    # given a published event type, in the views
    event_type = make_event_type(api, make_host(api), title="Intro")
    project()
    # when anyone books it and asks for what the booking page shows
    made = _create(PUBLIC, event_type)
    # then they see it
    assert not made.errors, made.body
    booking = made.data["bookingCreate"]["booking"]
    assert booking["host"] == {"name": "Ada", "timeZone": "Europe/Berlin"}
    assert booking["eventType"] == {"title": "Intro", "lengthInMinutes": 30, "host": booking["host"]}


def test_a_public_booking_does_not_show_the_hosts_email_or_other_event_types(
    api: Api, project: Callable[[], None]
) -> None:
    event_type = make_event_type(api, make_host(api))
    project()
    for n, (field, selection) in enumerate(PRIVATE.items()):
        # when the booking's payload asks for the host's private fields
        made = _create(selection, event_type, f"2026-01-0{6 + n}T08:00:00Z")
        # then those are refused, and the booking is still made and shown
        assert _refused(made), (field, made.body)
        payload = made.data["bookingCreate"]
        assert payload["errors"] == [] and payload["booking"]["uid"], field


def test_a_cancel_token_holder_sees_the_public_fields_only_in_every_read_and_change(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    # given a booking and its cancel token
    event_type = make_event_type(api, make_host(api))
    made = _create("", event_type)
    uid, token = made.data["bookingCreate"]["booking"]["uid"], made.data["bookingCreate"]["cancelToken"]
    project()
    holder = Gql(cancel_token=token)
    # when the holder reads the booking, then the public fields show and the private ones are refused
    assert not _read(holder, uid, PUBLIC).errors
    for field, selection in PRIVATE.items():
        assert _refused(_read(holder, uid, selection)), field
    # and the same in the payloads of the changes the token allows (a reschedule hands out the next token)
    for mutation, fields, token_field in (
        ("bookingReschedule", f'start: "{TEN}"', "cancelToken"),
        ("bookingCancel", 'reason: "x"', ""),
    ):
        document = f"""mutation {{ {mutation}(input: {{ uid: "{uid}", {fields} }}) {{
          booking {{ uid host {{ email }} }} {token_field} errors {{ code }} }} }}"""
        changed = holder(document)
        assert _refused(changed), (mutation, changed.body)
        assert changed.data[mutation]["errors"] == [] and changed.data[mutation]["booking"]["uid"] == uid
        if token_field:
            holder = Gql(cancel_token=changed.data[mutation][token_field])


def test_the_organisations_key_sees_everything_and_another_organisations_key_with_the_token_does_not(
    api: Api, api_key: str, project: Callable[[], None]
) -> None:
    event_type = make_event_type(api, make_host(api))
    made = _create("", event_type)
    uid, token = made.data["bookingCreate"]["booking"]["uid"], made.data["bookingCreate"]["cancelToken"]
    project()
    everything = " ".join(PRIVATE.values())
    mine = _read(Gql(api_key), uid, everything)
    assert not mine.errors, mine.body
    assert mine.data["booking"]["host"] == {"email": "ada@example.com", "eventTypes": [{"id": event_type}]}
    theirs: Any = _read(Gql(create_api_key("globex"), cancel_token=token), uid, "host { email }")
    assert _refused(theirs)
