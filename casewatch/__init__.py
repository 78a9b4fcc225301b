"""casewatch: the application shell (CLI, scheduler, web page) around config, crawler, pipeline, alerts.

Its first act holds `casewatch run`'s stop signals while the rest imports (casewatch.early).
"""

from casewatch import early as _early

_early.hold()
