"""casewatch: the application shell (CLI, scheduler, web page) around config, crawler, pipeline, alerts.

Its first act holds `casewatch run`'s stop signals while the rest imports (casewatch.early), and spares
`casewatch crawl` the garbage collector's passes over what it imports.
"""

from casewatch import early as _early

_early.hold()
_early.defer_collection()
