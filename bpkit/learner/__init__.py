"""What a learner runs on their own machine."""
