"""Which legal steps of a case a text mentions, and which one it reports.

Public API (pipeline.classify.decision, eval/run.py, tests): ``find_milestones`` gives every step a
text mentions with its status (taken / announced / requested / background), the primary step
first, each with its evidence sentence and the reason for its status; ``reported`` keeps what may
reach digests, alerts and the timeline. Modules by job: patterns (phrase syntax and index), tables
(rule tables), text (sentences and verb forms), clauses (the clause a step stands in), status (the
status of one mention), step_dates (the day of a step, dated hearings), identifiers (numbers and
actors), recency (steps dated long before publication), surroundings (titles of works, names, recaps
around a mention), find (selection of the primary step), rerank (the
learned second opinion on taken <-> background), model (the Milestone record).
"""

from pipeline.classify.milestones.find import find_milestones
from pipeline.classify.milestones.model import Milestone, reported
from pipeline.classify.milestones.patterns import RuleError
from pipeline.classify.milestones.patterns import compile_phrase as _compile
from pipeline.classify.milestones.surroundings import without_outlet
from pipeline.classify.milestones.tables import LANGUAGES, RULES_DIR, labels
from pipeline.classify.milestones.tables import load_table as _load_table

__all__ = ["LANGUAGES", "RULES_DIR", "Milestone", "RuleError", "_compile", "_load_table", "find_milestones",
           "labels", "reported", "without_outlet"]
