"""Request limits on the public endpoints: booking, rescheduling, cancelling and slots, over REST
and GraphQL alike (docs/api.md, "Rate limits").

Each is a rate, `N/second`, `N/minute` or `N/hour` (N at once, refilled evenly over the
period), or `off`, which turns that one budget off. Writes and reads have budgets of their own,
per client address and per event type; SLOTWISE_PUBLIC_RATE_LIMITS=off turns every one of them
off (load tests from one address). A malformed value stops start-up with the variable's name.
"""

from booking.settings.rates import count_from_env, rate_from_env, switch_from_env

# The master switch: `off` turns every public request limit below off at once.
SLOTWISE_PUBLIC_RATE_LIMITS = switch_from_env("SLOTWISE_PUBLIC_RATE_LIMITS", "on")

# Per client address (IPv6 per /64): bookings, reschedules and cancellations together.
SLOTWISE_PUBLIC_RATE_LIMIT = rate_from_env("SLOTWISE_PUBLIC_RATE_LIMIT", "60/minute")
# Per client address: slot lookups (a booking page asks again as the invitee pages through weeks).
SLOTWISE_PUBLIC_READ_RATE_LIMIT = rate_from_env("SLOTWISE_PUBLIC_READ_RATE_LIMIT", "120/minute")
# Per event type, all addresses together: more than one address may spend, but a small burst,
# so a crowd of addresses cannot book a whole week (80 slots) in a second either.
SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT = rate_from_env("SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT", "10/second")
SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT = rate_from_env("SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT", "50/second")

# How many reverse proxies in front of the API append to X-Forwarded-For. 0: the header is
# ignored and the client is REMOTE_ADDR, so a client cannot name itself by sending the header.
SLOTWISE_TRUSTED_PROXY_COUNT = count_from_env("SLOTWISE_TRUSTED_PROXY_COUNT", "0")
