"""Local contract servers for the providers Slotwise cannot reach in tests: Google Calendar and
Microsoft Graph, each with its OAuth endpoints, built from the providers' documented requests,
answers and errors. Each is a real HTTP server on a free loopback port (`with GoogleServer() as
server:`), so adapters and worker processes talk to it as they would to the provider.

What a test or drill uses: `.url`, `.client_id`, `.client_secret`, `.authorize_url`,
`.token_url`, `.api_url`, `.oauth_client()`, `.oauth_settings()`, `.env()`, `.grant_tokens()`,
`.events(calendar_id)`, `.requests()` (the log, with monotonic times), and the faults:
`fail_next`, `fail_until_cleared`, `drop_next`, `stall_next`, `clear_faults`,
`expire_all_tokens`, `revoke`, `deny_next_consent`.
"""

from tests.integration.provider_servers.base import ContractServer, Logged
from tests.integration.provider_servers.google import GoogleServer
from tests.integration.provider_servers.microsoft import MicrosoftServer

__all__ = ["ContractServer", "GoogleServer", "Logged", "MicrosoftServer"]
