"""Logs, request ids and (later) traces and metrics."""
