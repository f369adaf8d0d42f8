"""The legal pages' tests read real mail through the accounts tests' SMTP server."""

from tests.accounts.conftest import smtp_inbox  # noqa: F401  (a fixture)
