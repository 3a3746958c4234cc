"""Field validators that belong to no one app."""

from django.core.exceptions import ValidationError
from stdnum.au import abn as stdnum_abn


def validate_abn(value: str) -> None:
    """An ABN is 11 digits with the ATO's weighted modulus-89 check (python-stdnum)."""
    if not stdnum_abn.is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid ABN (11 digits with a valid check).", params={"value": value}
        )
