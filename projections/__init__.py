"""The read side: projectors that turn the event log into the agenda and availability views.

Every read model here can be thrown away and rebuilt from the event store.
"""
