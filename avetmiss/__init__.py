"""AVETMISS NAT files: layouts, streaming parser, writer and validator (releases 8.0 and 7.0).

Framework-free: nothing here imports Django. The Django side calls:

* :func:`validate_path` / :func:`validate_natset` - validate a set and get a
  :class:`ValidationResult` (``files``, ``issues``, ``errors``, ``warnings``,
  ``collection_year``, ``to_json_dict()``);
* :class:`NatSet` (open a zip / directory / file / zip bytes) and :class:`Validator`
  (``run(natset)`` yields every :class:`Record` right after checking it, so records can be
  staged while they are validated; ``validator.result`` afterwards);
* :mod:`avetmiss.writer` to export (``write_set``, ``format_record``);
* :class:`ReferenceLookup` (``avetmiss.reference``) to plug in training.gov.au, postcode and other
  reference data;
* :mod:`avetmiss.cli` (``add_arguments`` / ``run``) for the ``avetmiss_validate`` command.
"""

from .issues import ERROR, WARNING, Issue, ValidationResult
from .layouts import (
    LOAD_ORDER,
    RELEASES,
    Field,
    Layout,
    UnknownReleaseError,
    file_ids,
    get_layout,
    match_file_name,
)
from .parser import NatSet, Record, SourceError, open_natset
from .reference import DictLookup, NullLookup, ReferenceLookup, RtoRef, TrainingProductRef
from .settings import ValidationSettings
from .usi import is_valid_usi, usi_check_character, usi_problem
from .validate import Validator, scan_collection_year, validate_natset, validate_path
from .writer import (
    FieldValueError,
    format_field,
    format_record,
    name_for_encryption,
    write_file,
    write_records,
    write_set,
)

__all__ = [
    "ERROR",
    "LOAD_ORDER",
    "RELEASES",
    "WARNING",
    "DictLookup",
    "Field",
    "FieldValueError",
    "Issue",
    "Layout",
    "NatSet",
    "NullLookup",
    "Record",
    "ReferenceLookup",
    "RtoRef",
    "SourceError",
    "TrainingProductRef",
    "UnknownReleaseError",
    "ValidationResult",
    "ValidationSettings",
    "Validator",
    "file_ids",
    "format_field",
    "format_record",
    "get_layout",
    "is_valid_usi",
    "match_file_name",
    "name_for_encryption",
    "open_natset",
    "scan_collection_year",
    "usi_check_character",
    "usi_problem",
    "validate_natset",
    "validate_path",
    "write_file",
    "write_records",
    "write_set",
]
