"""The outside world: calendar providers, webhooks and email behind one small port each."""
