"""The register's reference data for the AVETMISS engine's "(ref)" rules.

:class:`RegisterLookup` answers ``localities`` from the localities list (imported with
``manage.py import_reference localities``), so a register upload runs CL-11/CL-13,
DL-05/DL-06 and CC-05/CC-06 whenever that list is loaded, and hand entry and the CQR
templates check suburbs against the same list (``avetmiss.plausible``). Training products are
checked by the register rules (REG-01..REG-05), so they are not asked here.

The list's model (``pqs_claims.Locality``: postcode, locality, state) belongs to the app
above the register that owns it, which registers it at start-up
(:func:`register_locality_model`, from ``pqs_claims.apps``), so the register imports no
claims code. With none registered no locality is checked.
"""

from __future__ import annotations

from avetmiss.reference import STATE_IDS, NullLookup

_MODELS: dict[str, type] = {}  # reference kind → the model that holds its rows


def register_locality_model(model) -> None:
    """Check localities against ``model``'s rows (fields ``postcode``, ``locality``, ``state``)."""
    _MODELS["localities"] = model


class RegisterLookup(NullLookup):
    def __init__(self) -> None:

        self._model = _MODELS.get("localities")
        self._has_localities = self._model is not None and self._model.objects.exists()
        self._cache: dict[str, frozenset[tuple[str, str]]] = {}  # one query per postcode

    def has(self, kind: str) -> bool:
        return kind == "localities" and self._has_localities

    def localities(self, postcode: str) -> frozenset[tuple[str, str]]:
        if not self._has_localities:
            return frozenset()
        if postcode not in self._cache:
            rows = self._model.objects.filter(postcode=postcode).values_list("locality", "state")
            self._cache[postcode] = frozenset(
                (loc.upper(), STATE_IDS.get(st.upper(), st)) for loc, st in rows
            )
        return self._cache[postcode]

    def localities_or_none(self, postcode: str) -> frozenset[tuple[str, str]] | None:
        """The localities of ``postcode``, or None when no list is loaded (nothing to check)."""
        return self.localities(postcode) if self._has_localities else None
