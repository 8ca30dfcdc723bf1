"""One module per mutation, named entity first (booking_create, booking_cancel, ...)."""
