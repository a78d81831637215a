"""kofu.documents: the five certificates as sealed, tamper-evident, verifiable PDFs.

`content` holds what each kind prints; `issue.render_and_seal` renders fronts and backs and seals the
PDF; `binding.check_binding` lets a printer refuse a document that is not its session's.
"""
