"""REST API v1: thin adapters that parse a request, make one application call, present the result."""
