"""NAT00060 - subject (avetmiss-8.md §4.5): SU-01..SU-08."""

from __future__ import annotations

from ..fieldchecks import show
from ..issues import ERROR


class SubjectRules:
    """Rules of NAT00060 (mixed into the Validator)."""

    def _f00060(self, file_id: str, blocks):
        """avetmiss-8.md §4.5, rules SU-01..SU-08. SU-04, and the "on training.gov.au" exceptions of
        SU-05 and SU-07, need the ``training_products`` lookup; without it a blank field of
        education is not reported (it may legitimately be blank for a TGA unit) and blank nominal
        hours are an error."""
        ix = self.layouts[file_id].index
        i_id, i_name = ix["subject_identifier"], ix["subject_name"]
        i_foe, i_vet, i_hours = (
            ix["subject_field_of_education_identifier"],
            ix["vet_flag"],
            ix["nominal_hours"],
        )
        i_flag = ix.get("subject_flag")
        tga = self.lookup.has("training_products")
        vis = self.settings.submission_type == "vis"
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                sid = row[i_id]
                if "subject_identifier" not in bad:
                    self._dup(
                        file_id,
                        n,
                        "subject_identifier",
                        sid,
                        self.subjects,
                        sid,
                        "SU-02",
                        "Subject identifier",
                    )
                product = self._product(sid.rstrip()) if tga and sid.strip() else None
                if product is not None:
                    self.su_04(file_id, n, sid, row[i_name], product)
                self.su_05(file_id, n, row[i_foe], tga, product, bad)
                if vis and row[i_vet] == "N":
                    self._issue(
                        file_id,
                        n,
                        "vet_flag",
                        row[i_vet],
                        "SU-06",
                        ERROR,
                        "VET flag must be Y in a VET in Schools submission.",
                    )
                if not row[i_hours].strip() and product is None:
                    self.su_07(file_id, n, row[i_hours])
                if i_flag is not None and product is not None and "subject_flag" not in bad:
                    self.su_08(file_id, n, sid, row[i_flag], product)
            yield lines, block
        self.counts[file_id] = count

    def su_04(self, file_id: str, n: int, sid: str, name_raw: str, product) -> None:
        """SU-04 (§4.5, ``training_products`` lookup) a training.gov.au unit carries its title."""
        sname = name_raw.rstrip()
        if sname and sname.upper() != product.title.upper():
            self._issue(
                file_id,
                n,
                "subject_name",
                name_raw,
                "SU-04",
                ERROR,
                f"Subject name {show(sname)} is not the training.gov.au title of"
                f" {sid.rstrip()} ({product.title}).",
            )

    def su_05(self, file_id: str, n: int, foe: str, tga: bool, product, bad) -> None:
        """SU-05 (§4.5) a field of education for subjects not on training.gov.au (known only
        with the ``training_products`` lookup); an ASCED detailed field with ``asced_detailed``."""
        if not foe.strip() and tga and product is None:
            self._issue(
                file_id,
                n,
                "subject_field_of_education_identifier",
                foe,
                "SU-05",
                ERROR,
                "Subject field of education identifier must not be blank for a subject"
                " that is not on training.gov.au; use the 6-digit ASCED detailed field.",
            )
        elif (
            foe.strip()
            and "subject_field_of_education_identifier" not in bad
            and self._code_known("asced_detailed", foe) is False
        ):
            self._issue(
                file_id,
                n,
                "subject_field_of_education_identifier",
                foe,
                "SU-05",
                ERROR,
                f"Subject field of education identifier {foe} is not an ASCED detailed field.",
            )

    def su_07(self, file_id: str, n: int, hours: str) -> None:
        """SU-07 (§4.5) nominal hours are given (training.gov.au units may leave them blank)."""
        self._issue(
            file_id,
            n,
            "nominal_hours",
            hours,
            "SU-07",
            ERROR,
            "Nominal hours must not be blank; give the subject's nominal (supervised)"
            " hours, e.g. 0040.",
        )

    def su_08(self, file_id: str, n: int, sid: str, flag: str, product) -> None:
        """SU-08 (§4.5, ``training_products`` lookup) subject flag C for training package units,
        M otherwise."""
        want = "C" if product.type.upper() == "UNIT" else "M"
        if flag != want:
            self._issue(
                file_id,
                n,
                "subject_flag",
                flag,
                "SU-08",
                ERROR,
                f"Subject flag should be {want} for {sid.rstrip()} (C for endorsed"
                " training package units, M otherwise).",
            )
