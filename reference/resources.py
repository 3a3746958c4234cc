"""The current reference data of each kind, as a file in the kind's upload layout
(django-import-export ``ModelResource`` per kind), so that a department officer can
download it, edit it and upload it again.

Rule: a kind's download has exactly the columns of its upload template, in the same
order (``Kind.template_columns``, read from the kind's registration, never copied here),
and every cell is written as the kind's import reads it back: dates DD/MM/YYYY, yes/no
columns ``true`` / ``false``, amounts as plain decimals, code lists space-separated. A
download of unchanged data, uploaded as it is, previews as all rows unchanged.

What import-export does here: the column ↔ model mapping (one ``Field`` per column, a
``dehydrate_<column>`` method where a column is derived, e.g. a program's code or a
training contract's SRTO period) and the row iteration. What it does not do: writing the
file. Its ``export()`` builds a whole ``tablib.Dataset`` in memory and tablib's XLSX
writer keeps every cell of the workbook in memory and writes a text starting with ``=``
as a formula (its ``escape`` only drops the ``=``). The downloads instead stream the
resource's rows (:meth:`ReferenceResource.rows`, database chunks of ``CHUNK`` rows)
through the formula-safe writers of ``core.spreadsheets`` (performance-and-security.md
R8): CSV cells starting with ``= + - @``, tab or CR are prefixed with ``'``; XLSX cells
are inline string cells, never formulas (``xlsx_text_bytes``: no cell object per value).
``export()`` itself, for anyone using the import-export path, returns its Dataset with
every cell neutralised the CSV way.

Bank accounts: the PQS approvals download has full account numbers only for those who
may import PQS approvals (department admins, who also see them on the bank account
page); anyone else gets them masked as on every other page, and such a file cannot be
uploaded back (the import refuses an account it does not know).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django_scopes import scopes_disabled
from import_export import fields, resources, widgets

from achievements.models import TrainingProduct
from core.audit import audit_record
from core.models import PublicHoliday
from core.spreadsheets import csv_stream, neutralise, xlsx_text_bytes
from pqs_claims.models import (
    Bsb,
    FundingProgram,
    Locality,
    LocationLoading,
    PqsApproval,
    PriceListEntry,
    RtoScope,
    TrainingContract,
    UnitPoints,
)
from rtos.models import Rto

from .importer import kinds
from .uploads import can_import

#: Rows fetched from the database per query while a download is written.
CHUNK = 2000


def upload_text(value: Any) -> str:
    """``value`` as the reference imports read it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return " ".join(upload_text(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={upload_text(v)}" for k, v in value.items())
    return str(value)


class UploadText(widgets.Widget):
    """Renders a model value as :func:`upload_text` (import-export's own widgets write
    dates and numbers in their own formats)."""

    def render(self, value, obj=None, **kwargs):
        return upload_text(value)


class ReferenceResource(resources.ModelResource):
    """One reference kind's download. A subclass names its ``kind``; each of the kind's
    template columns is read from the model attribute of the same name, from
    ``sources[column]`` (``__`` follows a relation), or from ``dehydrate_<column>``."""

    kind: ClassVar[str] = ""
    sources: ClassVar[dict[str, str]] = {}
    ordering: ClassVar[tuple[str, ...]] = ("pk",)
    related: ClassVar[tuple[str, ...]] = ()
    prefetch: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.options = kwargs
        self.columns = list(kinds()[self.kind].template_columns)
        self.fields = {
            column: fields.Field(
                attribute=self.sources.get(column, column),
                column_name=column,
                widget=UploadText(),
            )
            for column in self.columns
        }
        self._export_fields = list(self.fields.values())

    def get_export_fields(self, selected_fields=None):
        return (
            self._export_fields
            if not selected_fields
            else super().get_export_fields(selected_fields)
        )

    def get_field_name(self, field):
        return field.column_name

    def export_field(self, field, instance, **kwargs):
        return upload_text(super().export_field(field, instance, **kwargs))

    def get_queryset(self):
        model = self._meta.model
        with scopes_disabled():  # reference data is read across RTOs on purpose
            qs = model.objects.all()
            qs = qs.select_related(*self.related) if self.related else qs
            qs = qs.prefetch_related(*self.prefetch) if self.prefetch else qs
            return qs.order_by(*self.ordering)

    def iter_queryset(self, queryset):
        """Database chunks of ``CHUNK`` rows (``prefetch_related`` is honoured per chunk)."""
        if isinstance(queryset, models.QuerySet):
            return queryset.iterator(chunk_size=CHUNK)
        return iter(queryset)

    def rows(self, queryset=None) -> Iterator[list[str]]:
        """The data rows (texts, not yet neutralised), read lazily."""
        queryset = self.get_queryset() if queryset is None else queryset
        for obj in self.iter_queryset(queryset):
            yield self.export_resource(obj)

    def export(self, queryset=None, **kwargs):
        """import-export's Dataset, with every cell neutralised (``core.spreadsheets``)."""
        dataset = super().export(queryset, **kwargs)
        dataset.headers = [neutralise(h) for h in dataset.headers]
        for i, row in enumerate(dataset):
            dataset[i] = [neutralise(v) for v in row]
        return dataset


# ----------------------------------------------------------------- the kinds


class FundingProgramResource(ReferenceResource):
    kind = "funding-programs"
    ordering = ("code", "starts")

    class Meta:
        model = FundingProgram


class PriceListResource(ReferenceResource):
    kind = "price-list"
    sources = {"program": "program__code"}
    related = ("program",)
    ordering = ("program__code", "qualification_code", "effective_from")

    class Meta:
        model = PriceListEntry


class UnitPointsResource(ReferenceResource):
    kind = "unit-points"
    sources = {"program": "program__code"}
    related = ("program",)
    ordering = ("program__code", "qualification_code", "unit_code")

    class Meta:
        model = UnitPoints


class LocalityResource(ReferenceResource):
    kind = "localities"
    ordering = ("postcode", "locality")

    class Meta:
        model = Locality


class LocationLoadingResource(ReferenceResource):
    kind = "location-loadings"
    sources = {"program": "program__code"}
    related = ("program",)
    ordering = ("program__code", "postcode", "locality", "effective_from")

    class Meta:
        model = LocationLoading


class _Period:
    """One row of the training contracts file: a contract and one of its SRTO periods."""

    __slots__ = ("contract", "srto_code", "valid_from")

    def __init__(self, contract, srto_code: str, valid_from: dt.date | None):
        self.contract, self.srto_code, self.valid_from = contract, srto_code, valid_from

    def __getattr__(self, name):  # the contract's own fields
        return getattr(self.contract, name)


class TrainingContractResource(ReferenceResource):
    """One row per contract and SRTO period, as the import reads them (the import takes
    the contract's fields from its latest period's row and its SRTO history from all
    rows): ``srto_from`` is the period's start, blank when it is the commencement date;
    a contract without a recorded history is one row with its own SRTO."""

    kind = "training-contracts"
    prefetch = ("srto_periods",)
    ordering = ("delta_number",)

    class Meta:
        model = TrainingContract

    def iter_queryset(self, queryset):
        for contract in super().iter_queryset(queryset):
            periods = sorted(contract.srto_periods.all(), key=lambda p: p.valid_from)
            if not periods:
                yield _Period(contract, contract.srto_code, None)
            for p in periods:
                yield _Period(contract, p.srto_code, p.valid_from)

    def dehydrate_srto_code(self, row: _Period) -> str:
        return row.srto_code

    def dehydrate_srto_from(self, row: _Period):
        return None if row.valid_from in (None, row.contract.commencement_date) else row.valid_from


class PqsApprovalResource(ReferenceResource):
    """``full_accounts=True``: account numbers in full (for those who may import them);
    otherwise masked as on every page but the bank account page."""

    kind = "pqs-approvals"
    sources = {"rto_code": "rto__code", "program": "program__code"}
    related = ("rto", "program")
    ordering = ("rto__code", "program__code", "valid_from")

    class Meta:
        model = PqsApproval

    def dehydrate_account_number(self, approval: PqsApproval) -> str:
        if self.options.get("full_accounts"):
            return approval.account_number
        return approval.masked_account


class PublicHolidayResource(ReferenceResource):
    kind = "public-holidays"
    ordering = ("date", "jurisdiction")

    class Meta:
        model = PublicHoliday


class TrainingProductResource(ReferenceResource):
    kind = "training-products"
    ordering = ("code",)

    class Meta:
        model = TrainingProduct


class RtoResource(ReferenceResource):
    kind = "rtos"
    sources = {"rto_code": "code"}
    ordering = ("code",)

    class Meta:
        model = Rto


class BsbResource(ReferenceResource):
    kind = "bsb"
    ordering = ("bsb",)

    class Meta:
        model = Bsb


class RtoScopeResource(ReferenceResource):
    kind = "rto-scope"
    sources = {"from": "valid_from", "to": "valid_to"}
    ordering = ("rto_code", "qualification_code", "valid_from")

    class Meta:
        model = RtoScope


RESOURCES: dict[str, type[ReferenceResource]] = {
    cls.kind: cls
    for cls in (
        FundingProgramResource,
        PriceListResource,
        UnitPointsResource,
        LocalityResource,
        LocationLoadingResource,
        TrainingContractResource,
        PqsApprovalResource,
        PublicHolidayResource,
        TrainingProductResource,
        RtoResource,
        BsbResource,
        RtoScopeResource,
    )
}


def resource_for(kind: str, **options) -> ReferenceResource | None:
    """The download resource of ``kind`` (None: the kind has no download)."""
    cls = RESOURCES.get(kind)
    return cls(**options) if cls is not None else None


# ----------------------------------------------------------------- downloads
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Download:
    """A kind's current data as a file: ``chunks`` (CSV, streamed) or ``data`` (XLSX)."""

    filename: str
    content_type: str
    chunks: Iterator[bytes] | None = None
    data: bytes | None = None


def current_data(kind: str, fmt: str, *, user) -> Download | None:
    """The current ``kind`` data in its upload layout as CSV (streamed: UTF-8 with a BOM,
    every cell neutralised) or XLSX (one "Data" sheet of string cells, written row by row
    straight into the zip); None when the kind has no download. Full bank account
    numbers only for a user who may import PQS approvals. Audited (who downloaded which
    kind, and whether account numbers were in full)."""
    full_accounts = kind == "pqs-approvals" and can_import(user, kind)
    resource = resource_for(kind, full_accounts=full_accounts)
    if resource is None:
        return None
    audit_record(
        "reference.export",
        actor=user,
        object_type="reference",
        object_id=kind,
        extra={"format": fmt, **({"full_accounts": True} if full_accounts else {})},
    )
    filename = f"{kind}-current.{fmt}"
    if fmt == "xlsx":
        data = xlsx_text_bytes("Data", resource.columns, resource.rows())
        return Download(filename, XLSX_TYPE, data=data)
    return Download(filename, CSV_TYPE, chunks=csv_stream(resource.columns, resource.rows()))
