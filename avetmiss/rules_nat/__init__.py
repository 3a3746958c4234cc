"""The rules of avetmiss-8.md §4, one module per NAT file (ids in :mod:`avetmiss.rules`).

* ``nat00010`` - NAT00010 / NAT00010A training organisation: TO-
* ``nat00020`` - NAT00020 delivery location: DL-
* ``nat00030`` - NAT00030 / NAT00030A program: PR-
* ``nat00060`` - NAT00060 subject: SU-
* ``nat00080`` - NAT00080 client: CL- row rules, CQR-10, CQR-15
* ``nat00085`` - NAT00085 client contact details: CC-
* ``nat00090`` - NAT00090 disability and NAT00100 prior educational achievement: DI-, PE-
* ``nat00120`` - NAT00120 training activity: TA-, CQR-11, CQR-13
* ``nat00130`` - NAT00130 program completed: PC-
* ``cross_file`` - between files: each row against its parent files (DL-03, TA-02, CL-03,
  PC-01, ...), then the whole set after the last file (FMT-10, "parent must be used", the
  client rules that need later files)
* ``common`` - constants and helpers every file uses

Each module holds one mixin class of :class:`avetmiss.validate.Validator`; the per-file entry
point is the method ``_f<file number>`` (e.g. ``_f00120``) that
:meth:`~avetmiss.validate.Validator.check_blocks` dispatches to.

Finding a rule: each rule's check is a method named after its id, lower case with ``_``
(CL-30 is ``def cl_30``, TA-09 and TA-12 together ``def ta_09_ta_12``, PR-05..PR-08
``def pr_05_to_pr_08``), so ``grep -rn "def cl_30" avetmiss/`` finds it; its docstring states
the rule and its section of avetmiss-8.md. Rules that are one line of a table (a field blank,
not in its code set, not a date: FMT-04..FMT-08 and the element ids such as TA-18) are the
field checks of :mod:`avetmiss.fieldchecks`; the id, severity and summary of every rule, with
how this package handles it, are in :mod:`avetmiss.rules`.

Speed: the big files (NAT00080, NAT00085, NAT00120) test a valid row with one inline boolean
expression and call the rule methods only for rows that fail it; stateful bookkeeping stays
inline in the loop and a rule method is called only when it has something to report.
"""
