"""nbconvert preprocessors used through nbgrader_config.py: repairing a
submission before autograding, and turning an autograded notebook into
feedback a student can act on."""
from bpkit.preprocessors.check_cell_metadata import CachedCheckCellMetadata
from bpkit.preprocessors.feedback_summary import FeedbackSummary
from bpkit.preprocessors.hide_hidden_tests import HideHiddenTests
from bpkit.preprocessors.limit_output_size import LimitOutputSize
from bpkit.preprocessors.limited_execute import LimitedExecute
from bpkit.preprocessors.remove_duplicate_grade_ids import RemoveDuplicateGradeIds
from bpkit.preprocessors.feedback_page import FeedbackExporter
from bpkit.preprocessors.sanitize_feedback import SanitizeFeedback
from bpkit.preprocessors.sanitize_graded import SanitizeGraded
from bpkit.preprocessors.self_check_cells import SelfCheckCells

__all__ = ["HideHiddenTests", "FeedbackSummary", "RemoveDuplicateGradeIds", "LimitOutputSize", "LimitedExecute",
           "SanitizeFeedback", "FeedbackExporter", "CachedCheckCellMetadata", "SanitizeGraded", "SelfCheckCells"]
