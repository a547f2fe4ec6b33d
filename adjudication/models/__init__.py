"""Schema and cheap single-row properties only; services are the writers."""

from .adjudication import Adjudication, Decision, Flag
from .adjudication_draft import AdjudicationDraft
from .audit import AuditAction, AuditEvent
from .auto_annotation import AutoAnnotation, AutoAnnotationStatus
from .consensus import Consensus
from .pullback import Pseudonymisation, Pullback, Subject
from .reading import FrameMetrics, Read, ReadMetrics
from .statistics import StudyCovariates, StudyStatistics, SubjectCovariates
from .study import Membership, Study
from .token import ApiToken

__all__ = [
    "ApiToken",
    "Adjudication",
    "AdjudicationDraft",
    "AuditAction",
    "AuditEvent",
    "AutoAnnotation",
    "AutoAnnotationStatus",
    "Consensus",
    "Decision",
    "Flag",
    "FrameMetrics",
    "Membership",
    "Pseudonymisation",
    "Pullback",
    "Read",
    "ReadMetrics",
    "Study",
    "StudyCovariates",
    "StudyStatistics",
    "Subject",
    "SubjectCovariates",
]
