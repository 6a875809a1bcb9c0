"""nbconvert preprocessors that turn an autograded notebook into feedback a
student can act on (used by `nbgrader generate_feedback` via nbgrader_config.py)."""
from bpkit.preprocessors.feedback_summary import FeedbackSummary
from bpkit.preprocessors.hide_hidden_tests import HideHiddenTests

__all__ = ["HideHiddenTests", "FeedbackSummary"]
