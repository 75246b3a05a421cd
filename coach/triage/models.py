"""What triage found and why: the models live in coach.models, beside CoachReply, which carries them."""

from coach.models import (  # noqa: F401
    LEVELS, Layer, Level, MatchedConcept, RedFlagHit, RuledOut, Status, TriageResult,
)
