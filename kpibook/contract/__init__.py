"""The form contract: what a department form is, for the writer and the reader alike.

``kpibook generate`` (``kpibook.forms``) writes forms and ``kpibook check``
(``kpibook.returns``) reads them back; both depend on this package and neither on the
other, so they cannot drift apart.  It holds:

* :mod:`~kpibook.contract.names` — the defined-name scheme of every input and prefilled
  cell, built *and* parsed;
* :mod:`~kpibook.contract.stamp` — the hidden stamp that identifies a form, the form
  versions a reader accepts, and the sheet and range names the stamp lives under;
* :mod:`~kpibook.contract.files` — a form's file name, built and parsed;
* :mod:`~kpibook.contract.content` — which projects a department's form holds;
* :mod:`~kpibook.contract.inputs` — every input of a form (its name, field and
  validation) and the prefilled texts and values it shows;
* :mod:`~kpibook.contract.fingerprint` — the canonical, versioned fingerprint of what a
  form prefills: an explicit list of fields per form version, independent of how the
  models dump themselves, so adding a defaulted field to the plan outdates no form.

``docs/workbook-format.md`` describes the contract for people.  This module imports
nothing itself, so that the plan model may use :mod:`~kpibook.contract.names`.
"""
