"""bpkit: an auto-graded nbgrader exercise kit for backpropagation
(Deep Learning from Scratch, chapters 4-5)."""

__version__ = "0.1.0"
