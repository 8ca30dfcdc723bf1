"""Webhooks: organisations subscribe an HTTPS endpoint to booking events; each event reaches it
signed, at least once, retried for a day, then dead-lettered until an operator redelivers it.

models (subscriptions and the attempt log), signing (the signature header and its check),
subscriptions (subscribe, list, unsubscribe),
handler (what the dispatcher records), delivery (one attempt), redelivery (ops). Which receivers
are allowed: providers.addresses (shared with the CalDAV adapter).
"""
