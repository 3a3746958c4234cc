"""allauth adapter: signup is closed; people arrive by invitation (accounts.services)."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # RTO admins invite their staff; department admins create officers. Nobody
        # signs themselves up (issue 2, "Accounts").
        return False
